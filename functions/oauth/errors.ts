/**
 * Errors named after their RFC codes (RFC 6749 §5.2, RFC 6750 §3.1, RFC 7591 §3.2.2,
 * RFC 8628 §3.5). Each carries its HTTP status; `expose` is false only for server errors,
 * whose detail stays in the logs and never reaches the client.
 */
/** RFC 6749 §4.1.2.1 and §5.2: what an `error_description` may hold (printable ASCII but `"` and `\`). */
export const ERROR_DESCRIPTION = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;

/** A description made fit for `error_description`: a character it may not hold becomes `?`, never raw input. */
export function errorDescription(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '?').slice(0, 500);
}

export class OAuthError extends Error {
  readonly code: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: string,
    status: number,
    description: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OAuthError';
    this.code = code;
    this.status = status;
    this.headers = options.headers ?? {};
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
  presentedClientId: string | undefined;

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
  constructor(description = 'the user denied the request', options: Options = {}) {
    super('access_denied', 400, description, options);
  }
}
