/**
 * Errors named after their RFC codes (RFC 6749 §5.2, RFC 6750 §3.1, RFC 7591 §3.2.2,
 * RFC 8628 §3.5). Each carries its HTTP status; `expose` is false only for server errors,
 * whose detail stays in the logs and never reaches the client.
 *
 * What a client reads apart from what the logs keep (as node-oidc-provider keeps
 * `error_detail` apart from `error_description`). The rule, per code:
 * - A code that says "this credential, grant or session is not good" (`invalid_client`,
 *   `invalid_grant`, `invalid_token`, `invalid_scope`, `invalid_target`, `unauthorized_client`,
 *   `unsupported_grant_type`, `access_denied`, `login_required`) gets the RFC's wording only,
 *   from {@link PUBLIC_DESCRIPTIONS}. Which check failed (expired, reused, revoked, another
 *   client's, wrong PKCE verifier) helps someone probing a stolen token and not an honest
 *   client, which can only start over; it stays in {@link OAuthError.detail} for the log.
 * - A code that says "this request is malformed" (`invalid_request`, `invalid_client_metadata`,
 *   `invalid_redirect_uri`, `invalid_dpop_proof`, `unsupported_response_type`, the
 *   `*_not_supported` codes, `not_found` of the admin API) keeps its specific description: it
 *   names the parameter or check the client's developer must fix, and tells nothing about
 *   anyone's tokens.
 * - A description the login app wrote for the client (a rejected device request's
 *   `access_denied`) is passed on as it is, as at the redirect URI.
 * - Codes whose text is generic already (`too_many_requests`, `temporarily_unavailable`,
 *   `use_dpop_nonce`, the device polling codes) keep it.
 * The one serializer of every form (JSON, redirect, page) is `functions/http/errors.ts`.
 */
/** RFC 6749 §4.1.2.1 and §5.2: what an `error_description` may hold (printable ASCII but `"` and `\`). */
export const ERROR_DESCRIPTION = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;

/** A description made fit for `error_description`: a character it may not hold becomes `?`, never raw input. */
export function errorDescription(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '?').slice(0, 500);
}

/** The public `error_description` of each code whose detail is for the logs only (worded after RFC 6749 §5.2, RFC 6750 §3.1, RFC 8707 §2, OIDC Core §3.1.2.6). */
export const PUBLIC_DESCRIPTIONS: Readonly<Record<string, string>> = {
  invalid_client: 'client authentication failed',
  invalid_grant: 'the authorization grant or refresh token is invalid, expired or revoked, or was issued to another client',
  invalid_token: 'the access token is invalid, expired or revoked',
  invalid_scope: 'the requested scope is invalid, unknown, or exceeds the scope granted',
  invalid_target: 'the requested resource is invalid, unknown, or not allowed for this client',
  unauthorized_client: 'the client is not authorized to make this request',
  unsupported_grant_type: 'the grant type is not supported',
  access_denied: 'the request was denied',
  login_required: 'the user must sign in',
};

/**
 * An error with its RFC code and status. `message` is what happened, in full, for the log;
 * {@link description} is what the client reads (see the rule above); {@link detail} is the
 * message when the description is the generic one, so the log line can carry it.
 */
export class OAuthError extends Error {
  readonly code: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The public `error_description`. */
  readonly description: string;
  /** What happened, for the log only; undefined when the description says it all. */
  readonly detail: string | undefined;

  constructor(
    code: string,
    status: number,
    message: string,
    options: { cause?: unknown; headers?: Record<string, string>; specific?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OAuthError';
    this.code = code;
    this.status = status;
    this.headers = options.headers ?? {};
    const generic = options.specific === true ? undefined : PUBLIC_DESCRIPTIONS[code];
    this.description = errorDescription(generic ?? message);
    this.detail = generic !== undefined && generic !== message ? message : undefined;
  }

  get expose(): boolean {
    return this.status < 500;
  }
}

type Options = { cause?: unknown };

export class InvalidRequest extends OAuthError {
  constructor(description: string, options: Options = {}) {
    super('invalid_request', 400, description, options);
  }
}

/** RFC 6749 §5.2: 401 with a `WWW-Authenticate` challenge for the scheme the client may use. */
export class InvalidClient extends OAuthError {
  /** The client id the request claimed, when there was one (rate limits count failures per client). */
  readonly presentedClientId: string | undefined;

  constructor(description = 'client authentication failed', options: Options & { clientId?: string } = {}) {
    super('invalid_client', 401, description, {
      ...options,
      headers: { 'WWW-Authenticate': 'Basic realm="lifespan", charset="UTF-8"' },
    });
    this.presentedClientId = options.clientId;
  }
}

export class InvalidGrant extends OAuthError {
  constructor(description: string, options: Options = {}) {
    super('invalid_grant', 400, description, options);
  }
}

export class UnauthorizedClient extends OAuthError {
  constructor(description: string, options: Options = {}) {
    super('unauthorized_client', 400, description, options);
  }
}

export class UnsupportedGrantType extends OAuthError {
  constructor(description: string, options: Options = {}) {
    super('unsupported_grant_type', 400, description, options);
  }
}

export class InvalidScope extends OAuthError {
  constructor(description: string, options: Options = {}) {
    super('invalid_scope', 400, description, options);
  }
}

/** RFC 7591 §3.2.2 */
export class InvalidClientMetadata extends OAuthError {
  constructor(description: string, options: Options = {}) {
    super('invalid_client_metadata', 400, description, options);
  }
}

/** RFC 7591 §3.2.2 */
export class InvalidRedirectUri extends OAuthError {
  constructor(description: string, options: Options = {}) {
    super('invalid_redirect_uri', 400, description, options);
  }
}

/** RFC 6750 §3.1, for bearer-token protected endpoints (admin locally, userinfo). */
export class InvalidToken extends OAuthError {
  constructor(description: string, options: Options & { realm?: string } = {}) {
    super('invalid_token', 401, description, {
      ...options,
      headers: { 'WWW-Authenticate': `Bearer realm="${options.realm ?? 'lifespan'}", error="invalid_token"` },
    });
  }
}

export class AccessDenied extends OAuthError {
  constructor(description: string, options: Options = {}) {
    super('access_denied', 403, description, options);
  }
}

export class NotFound extends OAuthError {
  constructor(description = 'not found', options: Options = {}) {
    super('not_found', 404, description, options);
  }
}

export class PayloadTooLarge extends OAuthError {
  constructor(limit: number) {
    super('invalid_request', 413, `request body exceeds ${limit} bytes`);
  }
}

export class UnsupportedMediaType extends OAuthError {
  constructor(expected: string) {
    super('invalid_request', 415, `content type must be ${expected}`);
  }
}

export class TooManyRequests extends OAuthError {
  constructor(retryAfterSeconds: number, description = 'too many requests') {
    super('too_many_requests', 429, description, { headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) } });
  }
}

/**
 * RFC 6749 §4.1.2.1 / §5.2 `temporarily_unavailable`: a dependency (DynamoDB, KMS, SSM) failed
 * or timed out before anything was committed, so the same request can simply be sent again.
 * Shown to the client (with `Retry-After`); the cause goes to the log only.
 */
export class TemporarilyUnavailable extends OAuthError {
  constructor(retryAfterSeconds = 1, description = 'the service is temporarily unavailable: retry the request', options: Options = {}) {
    super('temporarily_unavailable', 503, description, {
      ...options,
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }

  override get expose(): boolean {
    return true;
  }
}

export class ServerError extends OAuthError {
  constructor(description = 'the server could not complete the request', options: Options = {}) {
    super('server_error', 500, description, options);
  }
}

/** RFC 9449 §5: the DPoP proof is missing where it must be, malformed, or fails a check (its description says which). */
export class InvalidDpopProof extends OAuthError {
  constructor(description: string, options: Options = {}) {
    super('invalid_dpop_proof', 400, description, options);
  }
}

/** RFC 9449 §8: the proof must carry the server nonce given in `DPoP-Nonce`; send it again with that nonce. */
export class UseDpopNonce extends OAuthError {
  constructor(nonce: string, description = 'the DPoP proof must carry the nonce this server provides') {
    super('use_dpop_nonce', 400, description, { headers: { 'DPoP-Nonce': nonce } });
  }
}

/** RFC 8707 §2: the requested resource is not one this client may get tokens for. */
export class InvalidTarget extends OAuthError {
  constructor(description: string, options: Options = {}) {
    super('invalid_target', 400, description, options);
  }
}

/** RFC 8628 §3.5: the user has not yet approved or denied the device request; poll again. */
export class AuthorizationPending extends OAuthError {
  constructor(description = 'the user has not yet approved the request', options: Options = {}) {
    super('authorization_pending', 400, description, options);
  }
}

/** RFC 8628 §3.5: still pending, and polled too soon; the interval grows by 5 seconds. */
export class SlowDown extends OAuthError {
  constructor(description = 'polling too fast: wait 5 seconds more between requests', options: Options = {}) {
    super('slow_down', 400, description, options);
  }
}

/** RFC 8628 §3.5: the device code expired; the client may start over. */
export class ExpiredToken extends OAuthError {
  constructor(description = 'the device code expired', options: Options = {}) {
    super('expired_token', 400, description, options);
  }
}

/**
 * RFC 8628 §3.5 (and RFC 6749 §5.2): `access_denied` at the token endpoint is a 400, unlike the
 * 403 of {@link AccessDenied} on protected routes.
 */
export class TokenAccessDenied extends OAuthError {
  /** The description is the login app's own, for the client (as at the redirect URI after a rejected login). */
  constructor(description = 'the user denied the request', options: Options = {}) {
    super('access_denied', 400, description, { ...options, specific: true });
  }
}

/**
 * An error that must not be sent to the redirect URI (unknown client, unregistered redirect
 * URI, RFC 6749 §4.1.2.1): shown to the user on a page instead. Its description stays
 * specific: no client authenticates there, and it names what is wrong with the link.
 */
export class AuthorizationPageError extends OAuthError {
  /** Which page: the sign-in (`/authorize`) or the sign-out (`/logout`). */
  readonly page: 'Sign-in' | 'Sign-out';

  constructor(code: string, description: string, options: { page?: 'Sign-in' | 'Sign-out'; status?: number } = {}) {
    super(code, options.status ?? 400, description, { specific: true });
    this.page = options.page ?? 'Sign-in';
  }
}

/**
 * An error returned to the client at its redirect URI (RFC 6749 §4.1.2.1), with `state` and
 * `iss` (RFC 9207). Its status is that of the error (a 400); the redirect carrying it is a 302.
 */
export class AuthorizationRedirectError extends OAuthError {
  readonly issuer: string;
  readonly redirectUri: string;
  readonly state: string | undefined;

  constructor(to: { readonly issuer: string; readonly redirectUri: string; readonly state?: string | undefined }, code: string, description: string) {
    super(code, 400, description);
    this.issuer = to.issuer;
    this.redirectUri = to.redirectUri;
    this.state = to.state;
  }
}
