import type { Client } from './clients/client.ts';
import { InvalidScope, InvalidTarget } from './errors.ts';

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

/** An audience name: usable as an SSM path segment (so it can have lifetime overrides). */
const AUDIENCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Whether `value` can name an audience (a `resource`, RFC 8707 §2): an audience name such as
 * `orders-api`, or an absolute URI of at most 256 characters without a fragment or whitespace.
 */
export function isAudience(value: string): boolean {
  if (AUDIENCE_NAME.test(value)) return true;
  if (value.length > 256 || value.includes('#') || /\s/.test(value)) return false;
  return URL.canParse(value);
}

/**
 * What a user grant (an authorization request, its code, a refresh family) is for: the default
 * audience, and every resource granted (RFC 8707).
 */
export interface GrantTarget {
  /** The `aud` of its access tokens when a token request names no `resource`: the first `resource` asked for, or the client's only audience. */
  readonly audience: string;
  /**
   * Every resource granted, `audience` first, when the authorization request named more than
   * one: a token request may narrow to any one of them. Absent: `audience` alone.
   */
  readonly resources?: readonly string[] | undefined;
}

/** Every audience a grant may issue access tokens for. */
export function grantedResources(grant: GrantTarget): readonly string[] {
  return grant.resources ?? [grant.audience];
}

/**
 * The audience (`aud`) of the access token: the `resource` requested (RFC 8707), which must
 * be one of the client's audiences; without one, the client's only audience, or the issuer
 * itself when the client has none (a token for userinfo).
 */
export function grantedAudience(client: Client, resource: string | undefined, issuer: string): string {
  if (resource !== undefined) {
    if (!client.audiences.includes(resource)) throw new InvalidTarget('resource is not one this client may get tokens for');
    return resource;
  }
  if (client.audiences.length === 0) return issuer;
  if (client.audiences.length === 1) return client.audiences[0]!;
  throw new InvalidTarget('this client has several audiences: say which one with the resource parameter');
}

/**
 * What an authorization request grants (RFC 8707 §2, where `resource` may repeat): each
 * resource must be one of the client's audiences; the first is the default audience. None
 * named: as {@link grantedAudience}.
 */
export function grantedTarget(client: Client, requested: readonly string[], issuer: string): GrantTarget {
  if (requested.length <= 1) return { audience: grantedAudience(client, requested[0] || undefined, issuer) };
  if (requested.some((resource) => resource === '' || !isAudience(resource))) throw new InvalidTarget('resource is malformed');
  const resources = [...new Set(requested)];
  for (const resource of resources) grantedAudience(client, resource, issuer);
  return resources.length === 1 ? { audience: resources[0]! } : { audience: resources[0]!, resources };
}

/**
 * The `resource` of a token request (one: each access token has one audience), checked for
 * form only; whether the grant holds it is the grant's to say.
 */
export function requestedResource(params: ReadonlyMap<string, string>): string | undefined {
  const resource = params.get('resource');
  if (resource !== undefined && !isAudience(resource)) throw new InvalidTarget('resource is malformed');
  return resource;
}
