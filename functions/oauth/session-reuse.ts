import { requiredSubjects } from './claims.ts';
import { hashSecret } from './secrets.ts';
import type { AuthorizationRequest } from './sessions/login-request.ts';
import { isSessionActive, type Session, type SessionStore } from './sessions/session.ts';
import type { RevocationMarkers } from './tokens/markers.ts';

/** What deciding whether the browser's SSO session answers a request reads. */
export interface SessionReuseDependencies {
  readonly sessions: Pick<SessionStore, 'get'>;
  readonly markers: Pick<RevocationMarkers, 'sessionsValidAfter'>;
}

/** The SSO session a cookie names, if it is still active (expired items are treated as absent). */
export async function activeSession(deps: SessionReuseDependencies, cookie: string | undefined, now: number, clientId: string) {
  if (!cookie || cookie.length > 100) return undefined;
  const hash = hashSecret(cookie);
  const session = await deps.sessions.get(hash);
  if (!session || !isSessionActive(session, now)) return undefined;
  // A compromised user's (or everyone's) sessions end with one marker, not one write per session;
  // and a session whose login a token revocation covers could only issue dead codes.
  if (session.authTime <= (await deps.markers.sessionsValidAfter(session.subject, clientId))) return undefined;
  return { hash, session };
}

/**
 * Why the browser's SSO session may not answer this request by itself (undefined: it may).
 * `prompt=login|consent|select_account` are for the login app to honour, so they always reach it.
 */
export function ssoRefusal(request: AuthorizationRequest, session: Session, now: number): string | undefined {
  if (request.prompt?.some((value) => value !== 'none')) return 'the request asks for user interaction';
  // max_age=0 is prompt=login (OIDC Core §3.1.2.1); whole seconds would otherwise let it pass.
  if (request.maxAge !== undefined && (request.maxAge === 0 || now - session.authTime > request.maxAge)) return 'a fresh login is required';
  // The client expects a particular user (§3.1.2.1 id_token_hint, §5.5.1 a sub value): another one's session is no answer.
  const hinted = request.idTokenHintClaims?.['sub'];
  if (hinted !== undefined && hinted !== session.subject) return 'the session is for another user than id_token_hint';
  if (requiredSubjects(request.claims).some((subject) => subject !== session.subject)) return 'the session is for another user than the claims request asks for';
  return undefined;
}

