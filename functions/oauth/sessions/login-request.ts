import type { OidcParameters } from '../oidc-parameters.ts';
import type { GrantTarget } from '../scopes.ts';
import type { Authentication } from './authentication.ts';

/**
 * The authorization request a login challenge stands for (validated, ready to issue a code),
 * with the OIDC parameters the login app is shown.
 */
export interface AuthorizationRequest extends OidcParameters, GrantTarget {
  readonly clientId: string;
  readonly redirectUri: string;
  /** The request relied on the client's only registered URI; the token request may then omit it too. */
  readonly redirectUriOmitted?: boolean | undefined;
  readonly scope: readonly string[];
  readonly state?: string | undefined;
  readonly nonce?: string | undefined;
  /** Absent only for a client registered with `require_pkce: false` that sent none (its request then has a nonce). */
  readonly codeChallenge?: string | undefined;
  /** RFC 9449 §10 `dpop_jkt`: the code is redeemable only with a DPoP proof of this key. */
  readonly dpopJkt?: string | undefined;
  /** The verified claims of the `id_token_hint`, when one was sent. */
  readonly idTokenHintClaims?: Readonly<Record<string, unknown>> | undefined;
}

/** What the login app says when it accepts a login. */
export interface LoginResult extends Authentication {
  readonly subject: string;
  readonly remember: boolean;
  /** When the login app accepted (epoch seconds): the `auth_time`. */
  readonly authenticatedAt: number;
}

export type LoginStatus = 'pending' | 'accepted' | 'rejected' | 'consumed';

/** A login challenge as stored (by hash). Times in epoch seconds. */
export interface LoginRequest {
  readonly request: AuthorizationRequest;
  readonly status: LoginStatus;
  /** Hash of the browser-binding cookie set with the challenge. */
  readonly csrfHash: string;
  /** Subject of the session the browser already had, if any (a hint for the login app). */
  readonly sessionSubject?: string | undefined;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly result?: LoginResult | undefined;
  readonly verifierHash?: string | undefined;
}

/** Port: login challenges (single use, short-lived). */
export interface LoginRequestStore {
  create(challengeHash: string, login: LoginRequest): Promise<void>;
  get(challengeHash: string): Promise<LoginRequest | undefined>;
  /** pending → accepted, if unexpired. Returns the request, or undefined if it was not pending. */
  accept(challengeHash: string, result: LoginResult, verifierHash: string, now: number): Promise<LoginRequest | undefined>;
  /** pending → rejected, if unexpired; `error` is the login app's answer (`access_denied`…), kept for the security event. */
  reject(challengeHash: string, now: number, error?: string): Promise<LoginRequest | undefined>;
  /** accepted → consumed, if unexpired and the verifier and browser binding match: the single use. */
  consume(challengeHash: string, verifierHash: string, csrfHash: string, now: number): Promise<LoginRequest | undefined>;
}
