import type { JWTPayload } from 'jose';
import type { Signer } from '../oauth/signer.ts';
import { sharedSignalOf, type SecurityEvent } from './security-event.ts';

/** RFC 8417 §2.3: explicit typing, so a SET is never taken for an ID or access token. */
export const SET_TYPE = 'secevent+jwt';

/** CAEP's `initiating_entity`: who set the event off. */
type InitiatingEntity = 'admin' | 'user' | 'policy' | 'system';

const INITIATED_BY: Readonly<Record<string, InitiatingEntity>> = {
  reuse: 'policy',
  code_replay: 'policy',
  marker: 'policy',
  idle: 'policy',
  absolute: 'policy',
  revoked: 'user',
  logout: 'user',
  admin: 'admin',
  client_deleted: 'admin',
  password_changed: 'system',
  mfa_changed: 'system',
  compromised: 'system',
};

/**
 * The event type URI of an event with no CAEP / RISC counterpart: under the issuer, which the
 * deployer owns (receivers ignore event types they do not know).
 */
export function lifespanEventType(issuer: string, type: SecurityEvent['type']): string {
  return `${issuer}/secevent/event-type/${type.replaceAll('_', '-')}`;
}

/**
 * The subject (Shared Signals `sub_id`, RFC 9493): the user as `iss_sub`, with the session (the
 * refresh family, whose id access tokens carry as `fid`, for an event about one; else the SSO
 * session's `sid`, the ID token's) and the client as `application`; an event about a client alone names the client; anything else the
 * issuer itself.
 */
function subjectOf(event: SecurityEvent, issuer: string): Record<string, unknown> {
  const { subject, sid, family_id: familyId, client_id: clientId } = event.facts;
  // A family is the session of one app (what its refresh token keeps alive); an SSO session is the browser's.
  const session = familyId ?? sid;
  const members: Record<string, unknown> = {
    ...(subject !== undefined && { user: { format: 'iss_sub', iss: issuer, sub: subject } }),
    ...(session !== undefined && { session: { format: 'opaque', id: session } }),
    ...(clientId !== undefined && { application: { format: 'opaque', id: clientId } }),
  };
  return Object.keys(members).length > 0 ? { format: 'complex', ...members } : { format: 'uri', uri: issuer };
}

/**
 * The claims of the event's Security Event Token (RFC 8417 §2.2, as the OpenID Shared Signals
 * Framework 1.0 profiles it): `iss`, `iat`, `jti` (the event's id), `txn` (the request id, when
 * known), `sub_id`, and `events` with exactly one event; never `sub` or `exp` (SSF §4.1.7).
 */
export function setClaims(event: SecurityEvent, issuer: string, issuedAt: number): JWTPayload {
  const signal = sharedSignalOf(event);
  const { reason, request_id: requestId } = event.facts;
  const initiatedBy = reason === undefined ? undefined : INITIATED_BY[reason];
  return {
    iss: issuer,
    iat: issuedAt,
    jti: event.id,
    // A JWT's claims are JSON: an undefined one is left out.
    txn: requestId,
    sub_id: subjectOf(event, issuer),
    events: {
      // No shared signal's claims are among the three below.
      [signal?.eventType ?? lifespanEventType(issuer, event.type)]: {
        ...signal?.claims,
        event_timestamp: event.time,
        initiating_entity: initiatedBy,
        reason_admin: reason === undefined ? undefined : { en: reason },
      },
    },
  };
}

/** Signs the event's SET with the service's active key (the one in the JWKS). */
export async function signSet(event: SecurityEvent, issuer: string, issuedAt: number, signer: Pick<Signer, 'signJwt'>): Promise<string> {
  return signer.signJwt(setClaims(event, issuer, issuedAt), SET_TYPE);
}
