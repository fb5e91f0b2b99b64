import type { Client } from './clients/client.ts';
import { InvalidRequest, InvalidScope, InvalidTarget } from './errors.ts';

export function parseScope(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const scopes = value.split(' ').filter((scope) => scope !== '');
  if (scopes.some((scope) => !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope))) throw new InvalidScope('scope is malformed');
  return [...new Set(scopes)];
}

/** The scopes granted: those requested, each one the client may have; all of them when none is requested. */
export function grantedScope(client: Client, requested: string | undefined, excluded: readonly string[] = []): string[] {
  const asked = parseScope(requested);
  if (asked === undefined) return client.scopes.filter((scope) => !excluded.includes(scope));
  const unknown = asked.filter((scope) => !client.scopes.includes(scope) || excluded.includes(scope));
  if (unknown.length > 0) throw new InvalidScope(`scope not allowed for this client: ${unknown.join(' ')}`);
  return asked;
}

/**
 * The audience (`aud`) of the access token: the `resource` requested (RFC 8707), which must
 * be one of the client's audiences; without one, the client's only audience, or the issuer
 * itself when the client has none (a token for userinfo).
 */
export function grantedAudience(client: Client, resource: string | undefined, issuer: string): string {
  if (resource !== undefined) {
    if (!client.audiences.includes(resource)) throw new InvalidTarget(`resource ${resource} is not allowed for this client`);
    return resource;
  }
  if (client.audiences.length === 0) return issuer;
  if (client.audiences.length === 1) return client.audiences[0]!;
  throw new InvalidTarget('this client has several audiences: say which one with the resource parameter');
}

/** `resource` may appear once here (several audiences per token are not supported). */
export function singleResource(params: URLSearchParams | ReadonlyMap<string, string>): string | undefined {
  if (params instanceof URLSearchParams && params.getAll('resource').length > 1) {
    throw new InvalidRequest('only one resource per request is supported');
  }
  return params.get('resource') ?? undefined;
}
