import type { MiddlewareObj } from '@middy/core';
import type {
  APIGatewayEventRequestContextV2,
  APIGatewayProxyEventV2WithRequestContext,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { InsufficientUserAuthentication, InvalidToken, MissingScope, VerifierUnavailable } from './errors.ts';
import { scopeList } from './options.ts';
import { assertMaxAge } from './step-up.ts';
import type { VerifiedClaims } from './types.ts';
import type { Verifier } from './verify.ts';

/** Where {@link lifespanAuth} puts the verified claims: `event.requestContext.authorizer.lifespan`. */
export interface LifespanAuthorizerContext {
  readonly lifespan: VerifiedClaims;
}

/** An API Gateway HTTP API (payload v2) event after {@link lifespanAuth} has let it through. */
export type LifespanAuthorizedEvent = APIGatewayProxyEventV2WithRequestContext<
  APIGatewayEventRequestContextV2 & { authorizer: LifespanAuthorizerContext }
>;

export interface LifespanAuthOptions {
  /** Made once per process with `createVerifier`. */
  readonly verifier: Verifier;
  /** Scopes every request through this handler needs (answered with 403 `insufficient_scope`). @default [] */
  readonly requiredScopes?: readonly string[];
  /** Step-up: the user must have authenticated at most this many seconds ago (401 `insufficient_user_authentication`). @default no limit */
  readonly maxAuthAge?: number;
  /** The `realm` of the challenges. @default the verifier's first audience */
  readonly realm?: string;
}

const QUOTABLE = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;
/** RFC 6750 §2.1 b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function quoted(value: string): string {
  return `"${value.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '')}"`;
}

function header(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function answer(statusCode: number, body: Record<string, string>, headers: Record<string, string>): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }, body: JSON.stringify(body) };
}

/** The answer for a refused token; `undefined` when the error is not the verifier's (it propagates). */
function refusal(error: unknown, realm: string): APIGatewayProxyStructuredResultV2 | undefined {
  const challenge = (code: string, description: string, extra = '') => ({
    'www-authenticate': `Bearer realm=${quoted(realm)}, error="${code}", error_description=${quoted(description)}${extra}`,
  });
  if (error instanceof InvalidToken) {
    return answer(401, { error: 'invalid_token', error_description: error.message }, challenge('invalid_token', error.message));
  }
  if (error instanceof MissingScope) {
    const scope = error.requiredScopes.join(' ');
    return answer(403, { error: 'insufficient_scope', error_description: error.message, scope }, challenge('insufficient_scope', error.message, `, scope=${quoted(scope)}`));
  }
  if (error instanceof InsufficientUserAuthentication) {
    return answer(
      401,
      { error: 'insufficient_user_authentication', error_description: error.message },
      challenge('insufficient_user_authentication', error.message, `, max_age=${error.maxAge}`),
    );
  }
  if (error instanceof VerifierUnavailable) {
    return answer(503, { error: 'temporarily_unavailable', error_description: 'the access token cannot be checked right now' }, { 'retry-after': '5' });
  }
  return undefined;
}

/**
 * middy middleware for API Gateway HTTP API (payload v2) handlers: accepts a request only
 * with a valid Lifespan access token in `Authorization: Bearer …`, and puts the token's claims
 * on `event.requestContext.authorizer.lifespan` (type the handler with
 * {@link LifespanAuthorizedEvent}). Anything else is answered at once, without calling the
 * handler, as RFC 6750 §3 and RFC 9470 §3 say:
 *
 * | situation | status | `WWW-Authenticate` |
 * |---|---|---|
 * | no bearer token | 401 | `Bearer realm="…"` (no error code, RFC 6750 §3.1) |
 * | malformed `Authorization: Bearer` value | 400 | `Bearer realm="…", error="invalid_request", …` |
 * | token refused (expired, wrong audience, bad signature, revoked…) | 401 | `Bearer realm="…", error="invalid_token", …` |
 * | a required scope missing | 403 | `…, error="insufficient_scope", …, scope="…"` |
 * | authentication too old (step-up) | 401 | `…, error="insufficient_user_authentication", …, max_age=N` |
 * | JWKS or introspection unreachable | 503 | none; `Retry-After: 5` |
 *
 * Bodies are JSON `{ error, error_description }` (plus `scope` for 403); they never contain
 * anything from the token. Errors that are not the verifier's propagate to middy as usual.
 *
 * @throws TypeError when an option is invalid.
 *
 * @example
 * ```ts
 * import middy from '@middy/core';
 * import { createVerifier, lifespanAuth, type LifespanAuthorizedEvent } from 'lifespan/verifier';
 *
 * const verifier = createVerifier({ issuer: process.env.ISSUER!, audience: 'orders-api' });
 *
 * export const handler = middy<LifespanAuthorizedEvent>()
 *   .use(lifespanAuth({ verifier, requiredScopes: ['orders:read'] }))
 *   .handler(async (event) => {
 *     const { sub } = event.requestContext.authorizer.lifespan;
 *     return { statusCode: 200, body: JSON.stringify({ orders: [], for: sub }) };
 *   });
 * ```
 */
export function lifespanAuth(options: LifespanAuthOptions): MiddlewareObj<LifespanAuthorizedEvent, APIGatewayProxyStructuredResultV2> {
  if (typeof options?.verifier?.verify !== 'function') throw new TypeError('verifier must be a Verifier from createVerifier');
  const requiredScopes = scopeList(options.requiredScopes, 'requiredScopes');
  if (options.maxAuthAge !== undefined) assertMaxAge(options.maxAuthAge, 'maxAuthAge');
  const realm = options.realm ?? options.verifier.audience[0] ?? 'api';
  if (typeof realm !== 'string' || !QUOTABLE.test(realm)) throw new TypeError('realm must be printable ASCII without quotes or backslashes');
  const { verifier, maxAuthAge } = options;

  return {
    name: 'lifespanAuth',
    before: async (request) => {
      const authorization = header(request.event.headers, 'authorization');
      if (authorization === undefined || !/^Bearer\s+\S/i.test(authorization)) {
        return answer(401, { error_description: 'a bearer access token is required' }, { 'www-authenticate': `Bearer realm=${quoted(realm)}` });
      }
      const token = BEARER.exec(authorization)?.[1];
      if (token === undefined) {
        const description = 'the Authorization header is not a valid Bearer credential';
        return answer(400, { error: 'invalid_request', error_description: description }, {
          'www-authenticate': `Bearer realm=${quoted(realm)}, error="invalid_request", error_description=${quoted(description)}`,
        });
      }
      let claims: VerifiedClaims;
      try {
        claims = await verifier.verify(token, { requiredScopes, ...(maxAuthAge !== undefined && { maxAuthAge }) });
      } catch (error) {
        const refused = refusal(error, realm);
        if (refused) return refused;
        throw error;
      }
      // Typed as present for the handler; before this point it may be absent or hold another authorizer's context.
      const context = request.event.requestContext as { authorizer?: object };
      context.authorizer = { ...context.authorizer, lifespan: claims };
      return undefined;
    },
  };
}
