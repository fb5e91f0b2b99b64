import type { Grant } from './family.ts';

/** An authorization code as stored (by hash). Times in epoch seconds. */
export interface AuthorizationCode extends Grant {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly nonce?: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly redeemedAt?: number;
  /** The family the first redemption created: revoked if the code is replayed. */
  readonly familyId?: string;
  /** `jti` of the access token the first redemption issued: denylisted on replay. */
  readonly accessTokenId?: string;
}

export interface RedeemRequest {
  readonly codeHash: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly now: number;
  readonly familyId: string;
  readonly accessTokenId: string;
}

export type RedeemResult =
  | { readonly outcome: 'redeemed'; readonly code: AuthorizationCode }
  | { readonly outcome: 'refused'; readonly code: AuthorizationCode | undefined };

/** Port: authorization codes, single use. */
export interface CodeStore {
  create(codeHash: string, code: AuthorizationCode): Promise<void>;
  /** One conditional write: unredeemed, unexpired, same client, redirect URI and PKCE challenge. */
  redeem(request: RedeemRequest): Promise<RedeemResult>;
}
