import { GRANT_TYPES, type Client, type ClientRepository } from './clients/client.ts';
import { redirectUriRegistered } from './clients/redirect-uri.ts';
import { AuthorizationPageError, AuthorizationRedirectError, OAuthError } from './errors.ts';
import { JKT } from './dpop/proof.ts';
import { isCodeChallenge } from './pkce.ts';
import { grantedScope, grantedTarget, type GrantTarget } from './scopes.ts';
import type { AuthorizationRequest } from './sessions/login-request.ts';
import { parseOidcParameters, type OidcParameters } from './oidc-parameters.ts';
import type { Signer } from './signer.ts';
import { verifyIdTokenHint } from './tokens/id-token-hint.ts';

/** What validating an authorization request reads: the client, and the keys to verify an `id_token_hint`. */
export interface AuthorizationRequestDependencies {
  readonly issuer: string;
  readonly clients: Pick<ClientRepository, 'get'>;
  readonly signer: Pick<Signer, 'jwks'>;
}

const MAX_PARAMETER_LENGTH = 2048;
/** An ID token with profile claims outgrows the default; a claims request may be long too. */
const LONGER_PARAMETERS: Readonly<Record<string, number>> = { id_token_hint: 8192, claims: 4096 };

/**
 * Validates an authorization request in the order RFC 6749 §4.1.2.1 requires: client and
 * redirect URI first (errors shown to the user), then the rest (errors sent to the client).
 */
export async function parseAuthorizationRequest(
  query: URLSearchParams,
  deps: AuthorizationRequestDependencies,
): Promise<{ client: Client; request: AuthorizationRequest }> {
  const single = (name: string): string | undefined => {
    const values = query.getAll(name);
    if (values.length > 1) return undefined;
    const value = values[0];
    return value === undefined || value === '' ? undefined : value;
  };
  if (query.getAll('client_id').length > 1 || query.getAll('redirect_uri').length > 1) {
    throw new AuthorizationPageError('invalid_request', 'client_id and redirect_uri may appear only once');
  }
  const clientId = single('client_id');
  if (!clientId || clientId.length > 128) throw new AuthorizationPageError('invalid_request', 'client_id is required');
  const client = await deps.clients.get(clientId);
  if (!client) throw new AuthorizationPageError('invalid_client', 'unknown client');
  const asked = single('redirect_uri');
  const redirectUriGiven = asked !== undefined;
  const redirectUri = asked ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
  if (!redirectUri) throw new AuthorizationPageError('invalid_request', 'redirect_uri is required');
  // OIDC Core §3.1.2.1: REQUIRED in an OpenID Connect request (plain OAuth may omit it, RFC 6749 §4.1.1).
  if (!redirectUriGiven && (single('scope') ?? '').split(' ').includes('openid')) {
    throw new AuthorizationPageError('invalid_request', 'redirect_uri is required in an OpenID Connect request');
  }
  // Exact string comparison (OAuth 2.1 §4.1.1.3), any port on a loopback IP (RFC 8252 §7.3).
  if (!redirectUriRegistered(client.redirectUris, redirectUri)) {
    throw new AuthorizationPageError('invalid_request', 'redirect_uri is not registered for this client');
  }

  const state = query.getAll('state').length === 1 ? single('state') : undefined;
  const fail = (code: string, description: string): never => {
    throw new AuthorizationRedirectError({ issuer: deps.issuer, redirectUri, state }, code, description);
  };
  for (const [name] of query) {
    // RFC 8707 §2: resource is the one parameter that may repeat (one per resource asked for).
    if (name !== 'resource' && query.getAll(name).length > 1) fail('invalid_request', `parameter ${name} is repeated`);
    if ((query.get(name) ?? '').length > (LONGER_PARAMETERS[name] ?? MAX_PARAMETER_LENGTH)) fail('invalid_request', `parameter ${name} is too long`);
  }
  // OIDC Core §6.2 and §6.1: each has its own error code.
  if (query.has('request_uri')) fail('request_uri_not_supported', 'request_uri is not supported');
  if (query.has('request')) fail('request_not_supported', 'request objects are not supported');
  const responseType = single('response_type');
  if (responseType !== 'code') fail('unsupported_response_type', 'only response_type=code is supported');
  const responseMode = single('response_mode');
  if (responseMode !== undefined && responseMode !== 'query') fail('invalid_request', 'only response_mode=query is supported');
  if (!client.grantTypes.includes(GRANT_TYPES.authorizationCode)) {
    fail('unauthorized_client', 'this client may not use the authorization code grant');
  }
  const codeChallenge = single('code_challenge');
  const method = single('code_challenge_method');
  // A client that sends PKCE gets it checked whether it must or not.
  const withoutPkce = !client.requirePkce && codeChallenge === undefined && method === undefined;
  if (!withoutPkce) {
    if (!codeChallenge) fail('invalid_request', 'code_challenge is required (PKCE)');
    if (method !== 'S256') fail('invalid_request', 'code_challenge_method must be S256');
    if (!isCodeChallenge(codeChallenge!)) fail('invalid_request', 'code_challenge is malformed');
  }

  let scope: string[] = [];
  let target: GrantTarget = { audience: '' };
  try {
    scope = grantedScope(client, single('scope'));
    target = grantedTarget(client, query.getAll('resource'), deps.issuer);
  } catch (error) {
    if (error instanceof OAuthError) fail(error.code, error.message);
    throw error;
  }

  let oidc: OidcParameters = {};
  try {
    oidc = parseOidcParameters(single);
  } catch (error) {
    if (error instanceof OAuthError) fail(error.code, error.message);
    throw error;
  }
  const hint = single('id_token_hint');
  const hintClaims = hint !== undefined ? await verifyIdTokenHint(hint, deps) : undefined;
  if (hint !== undefined && !hintClaims) fail('invalid_request', 'id_token_hint is not an ID token this server issued');
  const nonce = single('nonce');
  const dpopJkt = single('dpop_jkt');
  if (dpopJkt !== undefined && !JKT.test(dpopJkt)) fail('invalid_request', 'dpop_jkt must be a JWK SHA-256 thumbprint (43 base64url characters)');
  // OAuth 2.1 §7.5.1: without PKCE only the OIDC nonce stops an injected code (a confidential client's requests only).
  if (withoutPkce && !scope.includes('openid')) fail('invalid_request', 'code_challenge is required (PKCE) unless the request is an OpenID Connect request with a nonce');
  if (withoutPkce && nonce === undefined) fail('invalid_request', 'nonce is required when PKCE is not used');
  return {
    client,
    request: {
      clientId: client.clientId,
      redirectUri,
      ...(!redirectUriGiven && { redirectUriOmitted: true }),
      scope,
      ...target,
      // Checked above unless the request goes without PKCE, and then there is none.
      codeChallenge,
      state,
      nonce,
      dpopJkt,
      ...oidc,
      idTokenHintClaims: hintClaims,
    },
  };
}

