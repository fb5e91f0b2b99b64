import type { MiddlewareObj } from '@middy/core';
import type {
  APIGatewayEventRequestContextV2,
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithRequestContext,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { DPOP_SIGNING_ALGORITHMS, DpopProofRefused, proofHeader } from '../oauth/dpop/proof.ts';
import type { TokenScheme } from './dpop.ts';
import { DpopProofInvalid, InsufficientUserAuthentication, InvalidDpopProof, InvalidToken, MissingScope, VerifierUnavailable } from './errors.ts';
import { scopeList } from './options.ts';
import { assertMaxAge } from './step-up.ts';
import type { VerifiedClaims } from './types.ts';
import type { Verifier, VerifyOptions } from './verify.ts';

/** Where {@link lifespanAuth} puts the verified claims: `event.requestContext.authorizer.lifespan`. */
export interface LifespanAuthorizerContext {
  readonly lifespan: VerifiedClaims;
}

/** An API Gateway HTTP API (payload v2) event after {@link lifespanAuth} has let it through. */
export type LifespanAuthorizedEvent = APIGatewayProxyEventV2WithRequestContext<
  APIGatewayEventRequestContextV2 & { authorizer: LifespanAuthorizerContext }
>;

/** How {@link lifespanAuth} checks each request: the verifier, and what every request must carry. */
export interface LifespanAuthOptions {
  /** Made once per process with `createVerifier`. */
  readonly verifier: Verifier;
  /** Scopes every request through this handler needs (answered with 403 `insufficient_scope`). @default [] */
  readonly requiredScopes?: readonly string[];
  /** Step-up: the user must have authenticated at most this many seconds ago (401 `insufficient_user_authentication`). @default no limit */
  readonly maxAuthAge?: number;
  /** The `realm` of the challenges. @default the verifier's first audience */
  readonly realm?: string;
  /**
   * The URL the client called, which a DPoP proof's `htu` must name. The default is right for
   * the API's own `execute-api` endpoint and for a custom domain mapped at its root. Give this
   * when clients call another URL: a custom domain with an API mapping path (`rawPath` does not
   * contain it), a CDN or proxy in front, or plain http locally. Query and fragment are ignored.
   * @default (event) => `https://${event.requestContext.domainName}${event.rawPath}`
   * @example requestUrl: (event) => `https://api.example.com/orders${event.rawPath}`
   */
  readonly requestUrl?: (event: APIGatewayProxyEventV2) => string;
}

const QUOTABLE = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;
/** Present at all: a scheme of ours followed by something (otherwise the request has no credentials). */
const PRESENTED = /^(Bearer|DPoP)\s+\S/i;
/** RFC 6750 §2.1 b64token, RFC 9449 §7.1 token68: the same syntax. */
const CREDENTIALS = /^(?:Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** RFC 9449 §7.1: the proof algorithms this API accepts, in every DPoP challenge. */
const ALGS = `algs="${DPOP_SIGNING_ALGORITHMS.join(' ')}"`;

const defaultRequestUrl = (event: APIGatewayProxyEventV2): string => `https://${event.requestContext.domainName}${event.rawPath}`;

/** RFC 6749 §5.2: `error_description` holds only these characters (they also need no escaping in a quoted string). */
function described(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '');
}

function quoted(value: string): string {
  return `"${described(value)}"`;
}

/** One challenge of `scheme`; `params` are the auth-params after the realm, each starting with `, `. */
function challenge(scheme: TokenScheme, realm: string, params = ''): string {
  return scheme === 'DPoP' ? `DPoP realm=${quoted(realm)}${params}, ${ALGS}` : `Bearer realm=${quoted(realm)}${params}`;
}

function header(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** A JSON answer (an undefined member is left out). */
function answer(statusCode: number, body: Readonly<Record<string, string | undefined>>, headers: Record<string, string>): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }, body: JSON.stringify(body) };
}

/** 401/403 with `error`: the challenge of `scheme`, and the same code and description in the body. */
function challenged(statusCode: number, scheme: TokenScheme, realm: string, error: string, message: string, extra: { scope?: string; maxAge?: number } = {}) {
  const description = described(message);
  const params =
    `, error="${error}", error_description="${description}"` +
    (extra.scope !== undefined ? `, scope=${quoted(extra.scope)}` : '') +
    (extra.maxAge !== undefined ? `, max_age=${extra.maxAge}` : '');
  return answer(
    statusCode,
    { error, error_description: description, scope: extra.scope },
    { 'www-authenticate': challenge(scheme, realm, params) },
  );
}

/**
 * The answer for a refused token, in the scheme the request used; `undefined` when the error
 * is not the verifier's (it propagates).
 */
function refusal(error: unknown, realm: string, scheme: TokenScheme): APIGatewayProxyStructuredResultV2 | undefined {
  if (error instanceof InvalidToken) return challenged(401, scheme, realm, 'invalid_token', error.message);
  if (error instanceof InvalidDpopProof) return challenged(401, 'DPoP', realm, 'invalid_dpop_proof', error.message);
  if (error instanceof MissingScope) {
    return challenged(403, scheme, realm, 'insufficient_scope', error.message, { scope: error.requiredScopes.join(' ') });
  }
  if (error instanceof InsufficientUserAuthentication) {
    return challenged(401, scheme, realm, 'insufficient_user_authentication', error.message, { maxAge: error.maxAge });
  }
  if (error instanceof VerifierUnavailable) {
    return answer(503, { error: 'temporarily_unavailable', error_description: 'the access token cannot be checked right now' }, { 'retry-after': '5' });
  }
  return undefined;
}

/**
 * middy middleware for API Gateway HTTP API (payload v2) handlers: accepts a request only
 * with a valid Lifespan access token in `Authorization: Bearer …`, or `Authorization: DPoP …`
 * with its proof in the `DPoP` header (RFC 9449 §7), and puts the token's claims on
 * `event.requestContext.authorizer.lifespan` (type the handler with
 * {@link LifespanAuthorizedEvent}). A DPoP-bound token (`cnf.jkt`) passes only as `DPoP`,
 * with a fresh proof by its key for this method and URL (see `requestUrl`); a token that is
 * not bound only as `Bearer`. Anything else is answered at once, without calling the handler,
 * as RFC 6750 §3, RFC 9449 §7.1 and RFC 9470 §3 say, in the scheme the request used:
 *
 * | situation | status | `WWW-Authenticate` |
 * |---|---|---|
 * | no access token | 401 | `Bearer realm="…", DPoP realm="…", algs="ES256 …"` (no error code, RFC 6750 §3.1) |
 * | malformed `Authorization` value | 400 | `Bearer realm="…", error="invalid_request", …` (or `DPoP …, algs="…"`) |
 * | token refused (expired, bad signature, revoked, bound but sent as Bearer, not bound but sent as DPoP…) | 401 | `Bearer realm="…", error="invalid_token", …` (or `DPoP …, algs="…"`) |
 * | DPoP proof missing, invalid, replayed, or by another key than the token's | 401 | `DPoP realm="…", error="invalid_dpop_proof", …, algs="…"` |
 * | a required scope missing | 403 | `…, error="insufficient_scope", …, scope="…"` |
 * | authentication too old (step-up) | 401 | `…, error="insufficient_user_authentication", …, max_age=N` |
 * | JWKS, introspection or DPoP replay store unreachable | 503 | none; `Retry-After: 5` |
 *
 * Both challenges of the first row are one header value, comma-separated (RFC 9110 §11.6.1):
 * payload v2 results have no multi-value headers. Bodies are JSON `{ error, error_description }`
 * (plus `scope` for 403); they never contain anything from the token. Errors that are not the
 * verifier's propagate to middy as usual.
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
 *
 * // Behind https://api.example.com/orders (a custom domain with the API mapping "orders"):
 * lifespanAuth({ verifier, requestUrl: (event) => `https://api.example.com/orders${event.rawPath}` });
 * ```
 */
export function lifespanAuth(options: LifespanAuthOptions): MiddlewareObj<LifespanAuthorizedEvent, APIGatewayProxyStructuredResultV2> {
  if (typeof options?.verifier?.verify !== 'function') throw new TypeError('verifier must be a Verifier from createVerifier');
  const requiredScopes = scopeList(options.requiredScopes, 'requiredScopes');
  if (options.maxAuthAge !== undefined) assertMaxAge(options.maxAuthAge, 'maxAuthAge');
  const realm = options.realm ?? options.verifier.audience[0] ?? 'api';
  if (typeof realm !== 'string' || !QUOTABLE.test(realm)) throw new TypeError('realm must be printable ASCII without quotes or backslashes');
  const requestUrl = options.requestUrl ?? defaultRequestUrl;
  if (typeof requestUrl !== 'function') throw new TypeError('requestUrl must be a function of the event');
  const { verifier, maxAuthAge } = options;

  return {
    name: 'lifespanAuth',
    before: async (request) => {
      const { event } = request;
      const authorization = header(event.headers, 'authorization');
      const presented = authorization === undefined ? undefined : PRESENTED.exec(authorization);
      if (!presented) {
        return answer(401, { error_description: 'an access token is required' }, {
          'www-authenticate': `${challenge('Bearer', realm)}, ${challenge('DPoP', realm)}`,
        });
      }
      const scheme: TokenScheme = presented[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
      const token = CREDENTIALS.exec(authorization!)?.[1];
      if (token === undefined) {
        const description = `the Authorization header is not a valid ${scheme} credential`;
        return answer(400, { error: 'invalid_request', error_description: description }, {
          'www-authenticate': challenge(scheme, realm, `, error="invalid_request", error_description=${quoted(description)}`),
        });
      }
      const verifyOptions: VerifyOptions = { requiredScopes, scheme, maxAuthAge };
      let claims: VerifiedClaims;
      try {
        claims = await verifier.verify(token, scheme === 'DPoP' ? { ...verifyOptions, dpop: dpopRequest(event, requestUrl) } : verifyOptions);
      } catch (error) {
        const refused = refusal(error, realm, scheme);
        if (refused) return refused;
        throw error;
      }
      // Typed as present for the handler; before this point it may be absent or hold another authorizer's context.
      const context = event.requestContext as { authorizer?: object };
      context.authorizer = { ...context.authorizer, lifespan: claims };
      return undefined;
    },
  };
}

/** The proof, method and URL of the request. @throws DpopProofInvalid when it carries more than one proof (RFC 9449 §4.3 step 1). */
function dpopRequest(event: APIGatewayProxyEventV2, requestUrl: (event: APIGatewayProxyEventV2) => string): NonNullable<VerifyOptions['dpop']> {
  let proof: string | undefined;
  try {
    proof = proofHeader(event.headers ?? {});
  } catch (error) {
    if (error instanceof DpopProofRefused) throw new DpopProofInvalid(error.message, { cause: error });
    throw error;
  }
  return { proof, method: event.requestContext.http.method, url: requestUrl(event) };
}
