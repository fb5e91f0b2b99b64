/**
 * An `http` loopback redirect URI written with an IP literal, split at its port: scheme and host,
 * the port (if any), and the rest (path and query), which must start with `/` or `?` or be empty.
 * Matched on the string as sent: no URL parsing, so no normalisation (`HTTP://`, `127.1`,
 * `%2F`, `\`) can make two different strings equal, and `127.0.0.1.evil.com` or
 * `127.0.0.1@evil.com` is simply not this shape.
 *
 * `localhost` is deliberately not here: RFC 8252 §8.3 calls it NOT RECOMMENDED for native apps
 * (the name can resolve to something other than the loopback interface, and the app may listen
 * on the wrong one), so a `localhost` redirect URI is matched exactly, port and all.
 */
const LOOPBACK_IP_REDIRECT = /^(http:\/\/(?:127\.0\.0\.1|\[::1\]))(?::([0-9]+))?(?=[/?]|$)/;

/** A port as a URL would write it: 1–65535, no leading zero (`:080` is not `:80` here). */
function isPort(value: string): boolean {
  return /^[1-9][0-9]{0,4}$/.test(value) && Number(value) <= 65_535;
}

/** The URI without its port, when it is an http loopback IP redirect URI; undefined otherwise. */
function withoutLoopbackPort(uri: string): string | undefined {
  const match = LOOPBACK_IP_REDIRECT.exec(uri);
  if (!match) return undefined;
  const [whole, origin, port] = match;
  if (port !== undefined && !isPort(port)) return undefined;
  return `${origin}${uri.slice(whole.length)}`;
}

/**
 * Whether `requested` is one of the `registered` redirect URIs: exact string comparison
 * (RFC 9700 §4.1.3, OAuth 2.1 §4.1.1.3), with the one exception RFC 8252 §7.3 requires for
 * native apps: an `http` redirect URI on the loopback IP literal `127.0.0.1` or `[::1]` matches
 * with any port, or none (the app picks a free port when it starts), provided scheme, host, path
 * and query are exactly the registered ones; the registered port, if any, is ignored.
 *
 * Only the match against the registration is relaxed: the request then carries its own URI,
 * port and all, and the code exchange must repeat that one exactly.
 *
 * @example
 * redirectUriRegistered(['http://127.0.0.1/callback'], 'http://127.0.0.1:53412/callback'); // true
 * redirectUriRegistered(['http://localhost/callback'], 'http://localhost:53412/callback'); // false
 */
export function redirectUriRegistered(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  const portless = withoutLoopbackPort(requested);
  return portless !== undefined && registered.some((uri) => withoutLoopbackPort(uri) === portless);
}
