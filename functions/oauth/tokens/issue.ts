import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { LifetimeConfigStore } from '../../lifetimes/config.ts';
import { resolveLifetimes, type ResolvedLifetimes } from '../../lifetimes/resolver.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { Client } from '../clients/client.ts';
import { epochSeconds, type Clock } from '../clock.ts';
import { hashSecret } from '../secrets.ts';
import type { Signer } from '../signer.ts';
import type { AccessTokenStore } from './access-token-store.ts';
import { idTokenClaims } from '../claims.ts';
import type { Grant } from './family.ts';

/** What issuing tokens needs, injected. */
export interface IssueDependencies {
  readonly issuer: string;
  readonly signer: Signer;
  readonly clock: Clock;
  readonly lifetimes: Pick<LifetimeConfigStore, 'current'>;
  readonly accessTokens: Pick<AccessTokenStore, 'putOpaque' | 'deleteOpaque'>;
  readonly metrics: Metrics;
}

/** The token endpoint's success body (RFC 6749 §5.1, OIDC Core §3.1.3.3). */
export interface TokenResponse {
  readonly access_token: string;
  /** `DPoP` when the access token is bound to the request's proof key (RFC 9449 §5). */
  readonly token_type: 'Bearer' | 'DPoP';
  readonly expires_in: number;
  readonly scope: string;
  readonly refresh_token?: string | undefined;
  readonly id_token?: string | undefined;
}

/** The lifetimes for a client's tokens, for an audience and under the lifetime profile of the login behind them. */
export async function lifetimesFor(
  deps: Pick<IssueDependencies, 'lifetimes'>,
  client: Client,
  audience?: string,
  profile?: string,
): Promise<ResolvedLifetimes> {
  return resolveLifetimes(await deps.lifetimes.current(), { clientId: client.clientId, clientType: client.type, audience, profile });
}

/** Whose an access token is and what it is tied to: the same for the token alone and for the token response it goes in. */
export interface AccessTokenTies {
  readonly client: Client;
  /** @default a fresh UUID */
  readonly jti?: string | undefined;
  /** The refresh family it was issued under (`fid`): it is refused once the family is revoked. */
  readonly familyId?: string | undefined;
  /** The request's DPoP key: the token is bound to it (RFC 9449 §6: `cnf.jkt`) and answered as `token_type: DPoP`. */
  readonly jkt?: string | undefined;
}

/** The access token: a JWT per RFC 9068, or an opaque handle stored by hash, as configured. */
export async function issueAccessToken(
  deps: IssueDependencies,
  input: AccessTokenTies & {
    readonly grant: Pick<Grant, 'subject' | 'scope' | 'audience'> &
      Partial<Pick<Grant, 'authTime' | 'acr' | 'sid' | 'requestedClaims' | 'lifetimeProfile'>>;
    readonly ttl: number;
    readonly format: 'jwt' | 'opaque';
  },
): Promise<{ token: string; jti: string; issuedAt: number; expiresAt: number }> {
  const issuedAt = epochSeconds(deps.clock);
  const expiresAt = issuedAt + input.ttl;
  const jti = input.jti ?? randomUUID();
  const { grant } = input;
  const userinfoClaims = grant.requestedClaims?.userinfo;
  if (input.format === 'opaque') {
    const token = `lsa_${randomBytes(32).toString('base64url')}`;
    await deps.accessTokens.putOpaque(hashSecret(token), {
      clientId: input.client.clientId,
      subject: grant.subject,
      scope: grant.scope,
      audience: grant.audience,
      issuedAt,
      expiresAt,
      jti,
      authTime: grant.authTime,
      familyId: input.familyId,
      jkt: input.jkt,
      userinfoClaims,
      lifetimeProfile: grant.lifetimeProfile,
    });
    return { token, jti, issuedAt, expiresAt };
  }
  // Claims left undefined are left out: the payload is JSON.
  const token = await deps.signer.signJwt(
    {
      iss: deps.issuer,
      sub: grant.subject,
      aud: grant.audience,
      exp: expiresAt,
      iat: issuedAt,
      jti,
      client_id: input.client.clientId,
      scope: grant.scope.join(' '),
      auth_time: grant.authTime,
      acr: grant.acr,
      sid: grant.sid,
      // The family a refresh issued this under: introspection and userinfo refuse the token once it is revoked.
      fid: input.familyId,
      cnf: confirmation(input.jkt),
      // What the claims request asked of userinfo: the token is all userinfo sees of the grant.
      userinfo_claims: userinfoClaims,
      // The lifetime profile of the login: an API may ask for more (a step-up) from a shared device.
      lifetime_profile: grant.lifetimeProfile,
    },
    'at+jwt',
  );
  return { token, jti, issuedAt, expiresAt };
}

/** RFC 9449 §5: a token bound to a DPoP key is of type `DPoP`, any other `Bearer`. */
export function tokenType(jkt: string | undefined): TokenResponse['token_type'] {
  return jkt === undefined ? 'Bearer' : 'DPoP';
}

/** RFC 9449 §6: the `cnf` claim of a token bound to a DPoP key; none for a bearer token. */
export function confirmation(jkt: string | undefined): { readonly jkt: string } | undefined {
  return jkt === undefined ? undefined : { jkt };
}

/** OIDC Core §3.1.3.6: the left half of the SHA-256 of the access token, base64url. */
export function atHash(accessToken: string): string {
  const digest = createHash('sha256').update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

export async function issueIdToken(
  deps: IssueDependencies,
  input: {
    readonly client: Client;
    readonly grant: Grant;
    readonly ttl: number;
    readonly accessToken: string;
    readonly nonce?: string | undefined;
  },
): Promise<string> {
  const issuedAt = epochSeconds(deps.clock);
  const { grant } = input;
  // Never a reserved claim in `extra`: those below, undefined or not, overwrite nothing of it.
  const extra = idTokenClaims(grant.claims, grant.scope, grant.requestedClaims);
  return deps.signer.signJwt(
    {
      ...extra,
      iss: deps.issuer,
      sub: grant.subject,
      aud: input.client.clientId,
      exp: issuedAt + input.ttl,
      iat: issuedAt,
      auth_time: grant.authTime,
      at_hash: atHash(input.accessToken),
      nonce: input.nonce,
      sid: grant.sid,
      acr: grant.acr,
      amr: grant.amr,
    },
    'JWT',
  );
}

/**
 * Counts a response that is about to be sent (the grant has committed). A response built and then
 * not sent is not counted.
 */
export function issued(deps: Pick<IssueDependencies, 'metrics'>, client: Client, response: TokenResponse, grantType: string): TokenResponse {
  deps.metrics.count('TokensIssued', { Grant: grantType, ClientId: client.clientId });
  return response;
}

/**
 * An opaque access token written for a response that will not be sent: nobody holds it, so it is
 * removed (best effort: left behind, it could never be presented, and its TTL deletes it).
 */
export async function discardOpaque(deps: Pick<IssueDependencies, 'accessTokens'>, format: 'jwt' | 'opaque', response: TokenResponse): Promise<void> {
  if (format !== 'opaque') return;
  await deps.accessTokens.deleteOpaque(hashSecret(response.access_token)).catch(() => undefined);
}

/**
 * Access (and, with `openid`, ID) tokens for a user grant, as one token response. Signs, and for
 * opaque tokens writes the token: the grant commits only after this has succeeded.
 */
export async function userTokenResponse(
  deps: IssueDependencies,
  input: AccessTokenTies & {
    readonly grant: Grant;
    readonly lifetimes: ResolvedLifetimes;
    readonly refreshToken?: string | undefined;
    readonly nonce?: string | undefined;
    /** Issue an ID token when the scope holds `openid`. @default true */
    readonly idToken?: boolean | undefined;
  },
): Promise<TokenResponse> {
  const access = await issueAccessToken(deps, {
    client: input.client,
    grant: input.grant,
    ttl: input.lifetimes.access_token_ttl.value,
    format: input.lifetimes.access_token_format.value,
    jti: input.jti,
    familyId: input.familyId,
    jkt: input.jkt,
  });
  const idToken = input.idToken !== false && input.grant.scope.includes('openid')
    ? await issueIdToken(deps, {
        client: input.client,
        grant: input.grant,
        ttl: input.lifetimes.id_token_ttl.value,
        accessToken: access.token,
        nonce: input.nonce,
      })
    : undefined;
  return {
    access_token: access.token,
    token_type: tokenType(input.jkt),
    expires_in: access.expiresAt - access.issuedAt,
    scope: input.grant.scope.join(' '),
    refresh_token: input.refreshToken,
    id_token: idToken,
  };
}
