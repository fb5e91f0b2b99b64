import { createHash } from 'node:crypto';

/**
 * The security events Lifespan publishes, by their internal name, with the EventBridge
 * `detail-type` each is published under (README: Security events). A deployer's rules match on
 * the detail-type; the names never change once released.
 */
export const DETAIL_TYPES = {
  refresh_token_reuse_detected: 'Refresh Token Reuse Detected',
  family_revoked: 'Refresh Token Family Revoked',
  family_expired: 'Refresh Token Family Expired',
  user_event_received: 'User Event Received',
  bulk_revocation: 'Bulk Revocation',
  session_ended: 'SSO Session Ended',
  client_registered: 'Client Registered',
  client_deleted: 'Client Deleted',
  rate_limit_tripped: 'Rate Limit Tripped',
  configuration_rejected: 'Configuration Value Rejected',
  login_accepted: 'Login Accepted',
  login_rejected: 'Login Rejected',
} as const;

export type SecurityEventType = keyof typeof DETAIL_TYPES;

/** The `source` of every EventBridge event Lifespan publishes. */
export const EVENT_SOURCE = 'lifespan';

/**
 * What an event says beyond its id, time and stage: the fields that apply, never a token, a
 * secret, a code or a hash of one (each is picked by name from what the service knows, nothing is
 * copied wholesale from an item).
 */
export interface EventFacts {
  readonly subject?: string | undefined;
  readonly client_id?: string | undefined;
  readonly family_id?: string | undefined;
  readonly sid?: string | undefined;
  /** Why: a revocation reason, a user event's type, a login app's error, a limit's name… */
  readonly reason?: string | undefined;
  /** The Lambda request id of the request that caused it (links the event to its log lines). */
  readonly request_id?: string | undefined;
  /** Bulk revocation: whose tokens (`user`, `client`, `global`). */
  readonly scope?: 'user' | 'client' | 'global' | undefined;
  /** Rate limit: epoch seconds at which its window ends. */
  readonly window_ends_at?: number | undefined;
  /** Configuration: the parameter (full relative SSM name) and the value refused (at most 100 characters). */
  readonly parameter?: string | undefined;
  readonly value?: string | undefined;
  /** Login: `browser` (an authorization request) or `device` (RFC 8628). */
  readonly flow?: 'browser' | 'device' | undefined;
  readonly acr?: string | undefined;
  readonly amr?: readonly string[] | undefined;
  /** Client registered or deleted. */
  readonly client_name?: string | undefined;
  readonly client_type?: string | undefined;
}

/** An event as the service saw it. */
export interface SecurityEvent {
  readonly type: SecurityEventType;
  /** Stable: the same happening always has the same id (a redelivered stream record included). */
  readonly id: string;
  /** Epoch seconds. */
  readonly time: number;
  readonly facts: EventFacts;
}

/** What is published: the event's fields, as EventBridge's `detail` (and one line of events.jsonl). */
export interface EventDetail extends EventFacts {
  readonly id: string;
  /** ISO 8601, UTC. */
  readonly time: string;
  readonly stage: string;
  /** The OpenID Shared Signals (CAEP / RISC) event type this event corresponds to, when there is one. */
  readonly ssf_event_type?: string;
  /** A Security Event Token (RFC 8417) of this event, signed with the service's key, when turned on. */
  readonly set?: string;
}

/**
 * An id derived from what identifies the happening (a stream record and the event's type, or a
 * rate limit's key and window), shaped as a UUID (RFC 9562 version 8: name-based, SHA-256): the
 * same input gives the same id, so a consumer dedupes redeliveries by `detail.id`.
 */
export function eventId(stage: string, identity: string): string {
  const hex = createHash('sha256').update(`lifespan security event\n${stage}\n${identity}`).digest('hex');
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The detail of an event, without its SET. Only fields that have a value are present. */
export function eventDetail(event: SecurityEvent, stage: string): EventDetail {
  const facts = Object.fromEntries(Object.entries(event.facts).filter(([, value]) => value !== undefined && value !== '')) as EventFacts;
  const signal = sharedSignalOf(event);
  return {
    id: event.id,
    time: new Date(event.time * 1000).toISOString(),
    stage,
    ...facts,
    ...(signal && { ssf_event_type: signal.eventType }),
  };
}

const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
/** RISC's OAuth event types (the `tokens-revoked` Google's RISC transmitter sends). */
const RISC_OAUTH = 'https://schemas.openid.net/secevent/oauth/event-type/';

/** The CAEP / RISC event an event corresponds to, and the claims that event type requires. */
export interface SharedSignal {
  readonly eventType: string;
  readonly claims?: Readonly<Record<string, unknown>>;
}

/**
 * OpenID CAEP 1.0 and RISC 1.0 counterparts:
 * - a family revoked, or one SSO session ended: CAEP `session-revoked` (the family or the session);
 * - all of a user's SSO sessions ended (a sessions marker): RISC `sessions-revoked`;
 * - all of a user's tokens revoked: RISC `tokens-revoked`;
 * - a password change: CAEP `credential-change` (password, update); a compromised account:
 *   RISC `account-credential-change-required`. An MFA change has none: CAEP requires the
 *   credential's type, which the login app does not tell Lifespan.
 */
export function sharedSignalOf(event: Pick<SecurityEvent, 'type' | 'facts'>): SharedSignal | undefined {
  const { facts } = event;
  switch (event.type) {
    case 'family_revoked':
      return { eventType: `${CAEP}session-revoked` };
    case 'session_ended':
      return facts.sid !== undefined ? { eventType: `${CAEP}session-revoked` } : { eventType: `${RISC}sessions-revoked` };
    case 'bulk_revocation':
      return facts.scope === 'user' ? { eventType: `${RISC_OAUTH}tokens-revoked` } : undefined;
    case 'user_event_received':
      if (facts.reason === 'password_changed') return { eventType: `${CAEP}credential-change`, claims: { credential_type: 'password', change_type: 'update' } };
      if (facts.reason === 'compromised') return { eventType: `${RISC}account-credential-change-required` };
      return undefined;
    default:
      return undefined;
  }
}
