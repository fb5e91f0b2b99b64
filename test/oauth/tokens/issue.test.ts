import { decodeJwt } from 'jose';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalKeySigner, loadOrCreateLocalKeyFile } from '../../../functions/adapters/local/local-key-signer.ts';
import { RESERVED_CLAIMS } from '../../../functions/oauth/claims.ts';
import { issueIdToken, type IssueDependencies } from '../../../functions/oauth/tokens/issue.ts';
import { memoryMetrics } from '../../../functions/observability/metrics.ts';
import { clientRecord } from '../../support/clients.ts';
import { TestClock } from '../../support/clock.ts';

describe('issueIdToken', () => {
  it('drops every protocol claim a stored grant holds in its login claims (stored before accept refused them)', async () => {
    const signer = new LocalKeySigner(await loadOrCreateLocalKeyFile(join(await mkdtemp(join(tmpdir(), 'lifespan-issue-')), 'key.json'), 'ES256'));
    const clock = new TestClock();
    const deps = { issuer: 'https://auth.example.com', signer, clock, metrics: memoryMetrics() } as unknown as IssueDependencies;
    const client = clientRecord();
    const protocol = [
      'iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'client_id', 'scope', 'typ', 'nonce', 'at_hash', 'sid', 'auth_time', 'acr', 'amr', 'azp', 'cnf',
    ];
    for (const claim of protocol) expect(RESERVED_CLAIMS.has(claim), claim).toBe(true);
    const forged = Object.fromEntries(protocol.map((claim) => [claim, `forged-${claim}`]));
    const token = await issueIdToken(deps, {
      client,
      grant: { subject: 'alice', clientId: client.clientId, scope: ['openid', 'profile'], audience: 'api', authTime: clock.seconds, claims: { ...forged, name: 'Alice' } },
      ttl: 300,
      accessToken: 'access',
    });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: 'https://auth.example.com', sub: 'alice', aud: client.clientId, auth_time: clock.seconds, name: 'Alice' });
    expect(Object.values(claims).filter((value) => typeof value === 'string' && value.startsWith('forged-'))).toEqual([]);
  });
});
