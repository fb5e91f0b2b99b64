/** The hosts plain http is allowed on: this machine (the local server, a native app's loopback). */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * An absolute `https` URL, or `http` to a loopback host only — what every URL Lifespan is
 * configured with must be (the issuer, the login app, the device page, a verifier's issuer and
 * endpoints). The reason, fit for a message, when it is not.
 */
export function secureUrl(value: string): { readonly url: URL } | { readonly problem: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: 'must be an absolute URL' };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    return { problem: 'must use https (http only on a loopback address)' };
  }
  return { url };
}
