import type { Grant, NewFamilyItem } from './family.ts';

/** An authorization code as stored (by hash). Times in epoch seconds. */
export interface AuthorizationCode extends Grant {
  readonly clientId: string;
  readonly redirectUri: string;
  /** No redirect_uri was sent to /authorize, so the token request may omit it (RFC 6749 §4.1.3). */
  readonly redirectUriOmitted?: boolean | undefined;
  /** Absent when the request had no PKCE (a client registered with `require_pkce: false`). */
  readonly codeChallenge?: string | undefined;
  readonly nonce?: string | undefined;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly redeemedAt?: number | undefined;
  /** The family the first redemption created: revoked if the code is replayed. */
  readonly familyId?: string | undefined;
  /** `jti` of the access token the first redemption issued: denylisted on replay. */
  readonly accessTokenId?: string | undefined;
  /** `jti` of the DPoP proof of the redemption: that same request sent again is a replayed proof, not a stolen code. */
  readonly proofJti?: string | undefined;
  /** The DPoP key of the redemption: what it issued is bound to it. */
  readonly proofJkt?: string | undefined;
}

export interface RedeemRequest {
  readonly codeHash: string;
  readonly clientId: string;
  /** Absent when the token request omits it: allowed only if /authorize had it omitted too. */
  readonly redirectUri?: string | undefined;
  /** The `resource` of the token request, when it names one: must be one the code grants. */
  readonly resource?: string | undefined;
  /** S256 of the verifier presented; absent when none was (the code must then have no challenge). */
  readonly codeChallenge?: string | undefined;
  readonly now: number;
  readonly familyId: string;
  readonly accessTokenId: string;
  readonly proofJti?: string | undefined;
  readonly proofJkt?: string | undefined;
}

/** Port: authorization codes, single use. */
export interface CodeStore {
  create(codeHash: string, code: AuthorizationCode): Promise<void>;
  /** The code as stored, redeemed or not (a consistent read); expiry is the caller's to check. */
  get(codeHash: string): Promise<AuthorizationCode | undefined>;
  /**
   * One conditional write: unredeemed, unexpired, same client, redirect URI, PKCE challenge
   * (and resource) — and, in the same transaction, the refresh family the exchange starts.
   * `refused` when any condition failed (or a concurrent redemption won).
   */
  redeem(request: RedeemRequest, family?: NewFamilyItem): Promise<'redeemed' | 'refused'>;
}
