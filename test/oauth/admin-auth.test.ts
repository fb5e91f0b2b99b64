import { describe, expect, it } from 'vitest';
import { ADMIN_PAGE_CHALLENGE, adminPageAuthorized } from '../../functions/oauth/admin-auth.ts';

describe('adminPageAuthorized', () => {
  const auth = { kind: 'token', token: 'a'.repeat(40) } as const;
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('takes the admin token as a bearer token or as the Basic password', () => {
    expect(adminPageAuthorized(auth, { authorization: `Bearer ${auth.token}` })).toBe(true);
    expect(adminPageAuthorized(auth, { authorization: basic('admin', auth.token) })).toBe(true);
    expect(adminPageAuthorized(auth, { authorization: basic('', auth.token) })).toBe(true);
  });

  it.each([
    ['no header', {}],
    ['a wrong bearer token', { authorization: 'Bearer nope' }],
    ['a wrong password', { authorization: basic('admin', 'nope') }],
    ['the token as the user name', { authorization: basic(auth.token, '') }],
    ['Basic without a colon', { authorization: `Basic ${Buffer.from(auth.token).toString('base64')}` }],
    ['malformed Basic', { authorization: 'Basic ***' }],
  ])('refuses %s', (_, headers: Record<string, string>) => {
    expect(adminPageAuthorized(auth, headers)).toBe(false);
  });

  it('never authorizes with IAM (the page is local only), and challenges for Basic', () => {
    expect(adminPageAuthorized({ kind: 'iam' }, { authorization: `Bearer ${auth.token}` })).toBe(false);
    expect(ADMIN_PAGE_CHALLENGE).toMatch(/^Basic realm=/);
  });
});
