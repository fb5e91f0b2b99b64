import type { SecurityEvent } from '../../events/security-event.ts';
import type { Authentication } from './authentication.ts';

/** An SSO session as stored (by the hash of its cookie value). Times in epoch seconds. */
export interface Session extends Authentication {
  /** Public id, the `sid` claim. The cookie value is a different, secret, value. */
  readonly sid: string;
  readonly subject: string;
  readonly authTime: number;
  /** The client whose login created it: its lifetimes govern the session. */
  readonly clientId: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly idleTtl: number;
  readonly absoluteExpiresAt: number;
  /** Persistent cookie ("remember me") or a browser-session cookie. */
  readonly remember: boolean;
}

/** Idle and absolute expiry: the first to come wins. */
export function sessionExpiresAt(session: Pick<Session, 'lastSeenAt' | 'idleTtl' | 'absoluteExpiresAt'>): number {
  return Math.min(session.lastSeenAt + session.idleTtl, session.absoluteExpiresAt);
}

export function isSessionActive(session: Session, now: number): boolean {
  return sessionExpiresAt(session) > now;
}

/** Port: SSO sessions. */
export interface SessionStore {
  create(cookieHash: string, session: Session): Promise<void>;
  /** The session, even if expired (callers check expiry: DynamoDB deletes late). */
  get(cookieHash: string): Promise<Session | undefined>;
  /** Slides the idle window of a session just read; only if it is still active. */
  touch(cookieHash: string, session: Session, now: number): Promise<boolean>;
  /**
   * Deletes the session. With `ended`, the event of its end is recorded in the same write (both
   * or neither), and only if the session was still there: a session ended twice is one event.
   */
  delete(cookieHash: string, ended?: SecurityEvent): Promise<void>;
  /**
   * The session a `sid` names: its subject and store key, whether it has ended since or not (so
   * ending it again, or its families, still works). Known until `knownUntil` (epoch seconds, the
   * session's absolute expiry); callers treat a later read as absent (DynamoDB deletes late).
   */
  findBySid(sid: string): Promise<{ readonly subject: string; readonly cookieHash: string; readonly knownUntil: number } | undefined>;
  /** Forgets a sid (erasing its user); the session itself is deleted with {@link delete}. */
  forgetSid(sid: string): Promise<void>;
}
