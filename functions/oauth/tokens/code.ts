import type { Grant, NewFamilyItem } from './family.ts';

/** An authorization code as stored (by hash). Times in epoch seconds. */
export interface AuthorizationCode extends Grant {
  readonly clientId: string;
  readonly redirectUri: string;
  /** No redirect_uri was sent to /authorize, so the token request may omit it (RFC 6749 §4.1.3). */
  readonly redirectUriOmitted?: boolean;
  /** Absent when the request had no PKCE (a client registered with `require_pkce: false`). */
  readonly codeChallenge?: string;
  readonly nonce?: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly redeemedAt?: number;
  /** The family the first redemption created: revoked if the code is replayed. */
  readonly familyId?: string;
  /** `jti` of the access token the first redemption issued: denylisted on replay. */
  readonly accessTokenId?: string;
  /** `jti` of the DPoP proof of the redemption: that same request sent again is a replayed proof, not a stolen code. */
  readonly proofJti?: string;
  /** The DPoP key of the redemption: what it issued is bound to it. */
  readonly proofJkt?: string;
}

export interface RedeemRequest {
  readonly codeHash: string;
  readonly clientId: string;
  /** Absent when the token request omits it: allowed only if /authorize had it omitted too. */
  readonly redirectUri?: string;
  /** The `resource` of the token request, when it names one: must be one the code grants. */
  readonly resource?: string;
  /** S256 of the verifier presented; absent when none was (the code must then have no challenge). */
  readonly codeChallenge?: string;
  readonly now: number;
  readonly familyId: string;
  readonly accessTokenId: string;
  readonly proofJti?: string;
  readonly proofJkt?: string;
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
