import { randomUUID } from 'node:crypto';
import type { ResolvedLifetimes } from '../../lifetimes/resolver.ts';
import type { OAuthError } from '../errors.ts';
import type { Grant, NewFamilyItem } from './family.ts';
import { discardOpaque, lifetimesFor, userTokenResponse, type AccessTokenTies, type IssueDependencies, type TokenResponse } from './issue.ts';
import type { RevocationMarkers } from './markers.ts';
import { firstFamilyState } from './new-family.ts';
import { newFamilyId } from './refresh-token.ts';

/** A user grant's first answer, ready before its single use commits. */
export interface FirstTokens {
  readonly lifetimes: ResolvedLifetimes;
  /** The id of the family the grant starts (when it starts one: see `family`). */
  readonly familyId: string;
  /** The access token's `jti`: the single use records it, so an SDK retry of that write is told from another use. */
  readonly jti: string;
  /** The refresh family to store in the same write as the single use; none without `offline_access` (or the grant). */
  readonly family: NewFamilyItem | undefined;
  readonly response: TokenResponse;
}

/**
 * The first answer of a user grant — a code exchange, an approved device: its lifetimes (for the
 * access token's audience and the login's lifetime profile), the refresh family it starts when
 * the client and scope call for one, and the response, signed beside a fresh read of the
 * revoke-all markers. Nothing is committed here (but an opaque access token, removed again when
 * refused): the grant writes its single use and the family together, after. A login at or
 * before a bulk revocation gets `revoked()`.
 */
export async function firstTokens(
  deps: IssueDependencies & { readonly markers: Pick<RevocationMarkers, 'validAfter'> },
  input: Pick<AccessTokenTies, 'client' | 'jkt'> & {
    /** The whole grant, as the family keeps it. */
    readonly grant: Grant;
    /** The access token's audience, one the grant holds (RFC 8707). @default grant.audience */
    readonly audience?: string | undefined;
    readonly nonce?: string | undefined;
    readonly now: number;
    readonly revoked: () => OAuthError;
  },
): Promise<FirstTokens> {
  const { client, grant } = input;
  const audience = input.audience ?? grant.audience;
  const lifetimes = await lifetimesFor(deps, client, audience, grant.lifetimeProfile);
  const familyId = newFamilyId();
  const jti = randomUUID();
  const started = firstFamilyState(client, grant, familyId, lifetimes, input.now);
  const [validAfter, response] = await Promise.all([
    deps.markers.validAfter(grant.subject, client.clientId),
    userTokenResponse(deps, {
      client,
      grant: { ...grant, audience },
      lifetimes,
      jti,
      refreshToken: started?.refreshToken,
      // The access token names a family only when there is one: it is refused once that family is revoked.
      familyId: started ? familyId : undefined,
      nonce: input.nonce,
      jkt: input.jkt,
    }),
  ]);
  if (grant.authTime <= validAfter) {
    await discardOpaque(deps, lifetimes.access_token_format.value, response);
    throw input.revoked();
  }
  return { lifetimes, familyId, jti, family: started?.item, response };
}
