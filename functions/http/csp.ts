/**
 * The Content-Security-Policy of Lifespan's HTML pages. Chromium and Safari apply `form-action`
 * to every hop of a form submission's redirect chain, so a page whose form ends at a client
 * (the login page: `/login` → `/authorize` → the redirect URI; the logout confirmation: →
 * the `post_logout_redirect_uri`) must list that client's origin, and only it.
 */

/** A CSP host-source host (CSP3 §2.3.1: host-char is ALPHA / DIGIT / "-"); anything else cannot be named exactly. */
const HOST = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*$/;

/**
 * The origin of an http(s) URI as a CSP source expression (`https://app.example.com`,
 * `http://127.0.0.1:5173`), or undefined when no host-source names it exactly: another scheme,
 * an IPv6 literal, or a host with characters a policy would read as syntax (`;`, `'`, `*`, `,`).
 * Never a wildcard or a scheme-only source.
 */
export function originSource(uri: string): string | undefined {
  const url = URL.parse(uri);
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:') || !HOST.test(url.hostname)) return undefined;
  return url.origin;
}

/**
 * The policy of a page: nothing loads but inline styles, the page cannot be framed, and its
 * forms may submit to this origin plus the origins of `formTargets` (the URIs, already
 * validated, where a submission may end).
 */
export function pagePolicy(formTargets: readonly string[] = []): string {
  const sources = new Set(["'self'"]);
  for (const target of formTargets) {
    const source = originSource(target);
    if (source !== undefined) sources.add(source);
  }
  return `default-src 'none'; style-src 'unsafe-inline'; form-action ${[...sources].join(' ')}; frame-ancestors 'none'`;
}
