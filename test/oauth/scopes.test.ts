import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../functions/oauth/errors.ts';
import { grantedResources, grantedTarget, isAudience, requestedResource } from '../../functions/oauth/scopes.ts';
import { clientRecord } from '../support/clients.ts';

const codeOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof OAuthError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('resources (RFC 8707)', () => {
  const issuer = 'https://auth.example.com';
  const client = clientRecord({ audiences: ['orders-api', 'https://billing.example.com/', 'ledger'] });

  it('isAudience: a name or an absolute URI without a fragment', () => {
    for (const value of ['orders-api', 'a.b_c-d', 'https://billing.example.com/', 'urn:example:api']) expect(isAudience(value)).toBe(true);
    for (const value of ['', '/relative', 'https://a.example/#x', 'https://a.example/#', 'two words', '-leading', `https://a.example/${'a'.repeat(300)}`]) {
      expect(isAudience(value)).toBe(false);
    }
  });

  it('grantedTarget: none named is the client’s only audience or the issuer; several clients’ audiences need one', () => {
    expect(grantedTarget(clientRecord({ audiences: ['orders-api'] }), [], issuer)).toEqual({ audience: 'orders-api' });
    expect(grantedTarget(clientRecord({ audiences: [] }), [], issuer)).toEqual({ audience: issuer });
    expect(grantedTarget(clientRecord({ audiences: [] }), [''], issuer)).toEqual({ audience: issuer });
    expect(codeOf(() => grantedTarget(client, [], issuer))).toBe('invalid_target');
  });

  it('grantedTarget: one resource is the audience; several keep their order, once each, the first the default', () => {
    expect(grantedTarget(client, ['ledger'], issuer)).toEqual({ audience: 'ledger' });
    expect(grantedTarget(client, ['ledger', 'orders-api', 'ledger'], issuer)).toEqual({ audience: 'ledger', resources: ['ledger', 'orders-api'] });
    expect(grantedTarget(client, ['ledger', 'ledger'], issuer)).toEqual({ audience: 'ledger' });
  });

  it.each([
    ['one the client lacks', ['orders-api', 'https://evil.example.com/']],
    ['an empty one among several', ['orders-api', '']],
    ['a malformed one', ['orders-api', 'https://billing.example.com/#x']],
    ['the issuer', ['orders-api', issuer]],
  ])('grantedTarget refuses several resources with %s', (_why, requested) => {
    expect(codeOf(() => grantedTarget(client, requested, issuer))).toBe('invalid_target');
  });

  it('grantedResources: the resources, or the one audience', () => {
    expect(grantedResources({ audience: 'a' })).toEqual(['a']);
    expect(grantedResources({ audience: 'a', resources: ['a', 'b'] })).toEqual(['a', 'b']);
  });

  it('requestedResource: absent, well formed, or invalid_target', () => {
    expect(requestedResource(new Map())).toBeUndefined();
    expect(requestedResource(new Map([['resource', 'orders-api']]))).toBe('orders-api');
    expect(codeOf(() => requestedResource(new Map([['resource', 'https://a.example/#frag']])))).toBe('invalid_target');
    expect(codeOf(() => requestedResource(new Map([['resource', 'not a uri']])))).toBe('invalid_target');
  });
});
