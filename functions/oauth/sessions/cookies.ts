/**
 * Cookie names and attributes. Over https (every deployment) the `__Host-` prefix pins the
 * cookie to this host and path `/`, with Secure; over plain http (local mode only) browsers
 * refuse both, so the plain names are used there.
 */
export interface CookiePolicy {
  readonly secure: boolean;
}

export const cookiePolicyFor = (issuer: string): CookiePolicy => ({ secure: issuer.startsWith('https:') });

export const sessionCookieName = (policy: CookiePolicy): string => (policy.secure ? '__Host-lifespan_session' : 'lifespan_session');
export const loginCookieName = (policy: CookiePolicy): string => (policy.secure ? '__Host-lifespan_login' : 'lifespan_login');

function cookie(policy: CookiePolicy, name: string, value: string, maxAge?: number): string {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (policy.secure) parts.push('Secure');
  if (maxAge !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(maxAge))}`);
  return parts.join('; ');
}

/** A remembered session gets a persistent cookie; otherwise it ends with the browser. */
export const sessionCookie = (policy: CookiePolicy, value: string, maxAge?: number): string =>
  cookie(policy, sessionCookieName(policy), value, maxAge);

export const clearSessionCookie = (policy: CookiePolicy): string => cookie(policy, sessionCookieName(policy), '', 0);

export const loginCookie = (policy: CookiePolicy, value: string, maxAge: number): string =>
  cookie(policy, loginCookieName(policy), value, maxAge);

export const clearLoginCookie = (policy: CookiePolicy): string => cookie(policy, loginCookieName(policy), '', 0);
