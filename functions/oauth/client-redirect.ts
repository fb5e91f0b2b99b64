/** The redirect to the client, with `iss` (RFC 9207) so the client can tell which server answered. */
export function clientRedirect(issuer: string, redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  url.searchParams.set('iss', issuer);
  return url.toString();
}
