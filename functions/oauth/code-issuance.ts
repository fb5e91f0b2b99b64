import { randomBytes } from 'node:crypto';
import type { LifetimeConfigStore } from '../lifetimes/config.ts';
import { resolveLifetimes } from '../lifetimes/resolver.ts';
import type { Client } from './clients/client.ts';
import { requestedClaimNames } from './claims.ts';
import { clientRedirect } from './client-redirect.ts';
import { hashSecret } from './secrets.ts';
import { authenticationOf } from './sessions/authentication.ts';
import type { AuthorizationRequest } from './sessions/login-request.ts';
import type { Session } from './sessions/session.ts';
import type { CodeStore } from './tokens/code.ts';

/** What issuing an authorization code writes to and reads. */
export interface CodeIssuanceDependencies {
  readonly issuer: string;
  readonly lifetimes: Pick<LifetimeConfigStore, 'current'>;
  readonly codes: Pick<CodeStore, 'create'>;
}

/** A secret and its hash (the hash is what is stored). */
export function secretPair(): { value: string; hash: string } {
  const value = randomBytes(32).toString('base64url');
  return { value, hash: hashSecret(value) };
}

export async function issueCode(
  deps: CodeIssuanceDependencies,
  client: Client,
  request: AuthorizationRequest,
  session: Session,
  now: number,
): Promise<string> {
  // The session's lifetime profile (its login's) governs every code it issues, SSO reuse included.
  const lifetimes = resolveLifetimes(await deps.lifetimes.current(), {
    clientId: client.clientId,
    clientType: client.type,
    audience: request.audience,
    profile: session.lifetimeProfile,
  });
  const code = secretPair();
  const requestedClaims = requestedClaimNames(request.claims, client.scopes);
  await deps.codes.create(code.hash, {
    clientId: client.clientId,
    redirectUri: request.redirectUri,
    redirectUriOmitted: request.redirectUriOmitted,
    codeChallenge: request.codeChallenge,
    subject: session.subject,
    scope: request.scope,
    audience: request.audience,
    resources: request.resources,
    authTime: session.authTime,
    sid: session.sid,
    ...authenticationOf(session),
    nonce: request.nonce,
    jkt: request.dpopJkt,
    requestedClaims,
    createdAt: now,
    expiresAt: now + lifetimes.authorization_code_ttl.value,
  });
  return clientRedirect(deps.issuer, request.redirectUri, { code: code.value, state: request.state });
}

