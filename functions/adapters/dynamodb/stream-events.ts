import { eventId, type EventFacts, type SecurityEvent, type SecurityEventType } from '../../events/security-event.ts';
import type { Image, StreamRecord } from './family-stream.ts';

const text = (image: Image | undefined, name: string): string | undefined => image?.[name]?.S;
const number = (image: Image | undefined, name: string): number | undefined => {
  const value = image?.[name]?.N;
  return value === undefined ? undefined : Number(value);
};

/** A JSON attribute (a login's request or result, a device approval), or nothing if it is not JSON. */
function json(image: Image | undefined, name: string): Record<string, unknown> {
  const raw = text(image, name);
  if (raw === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const stringField = (object: Record<string, unknown>, name: string): string | undefined =>
  typeof object[name] === 'string' ? (object[name] as string) : undefined;
const stringsField = (object: Record<string, unknown>, name: string): string[] | undefined => {
  const value = object[name];
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string') ? (value as string[]) : undefined;
};

/** When the change was made, in epoch seconds (Lambda gives a number, the Streams API a Date). */
function changedAt(record: StreamRecord, now: number): number {
  const at = record.dynamodb?.ApproximateCreationDateTime;
  if (typeof at === 'number' && Number.isFinite(at)) return Math.floor(at);
  if (at instanceof Date && Number.isFinite(at.getTime())) return Math.floor(at.getTime() / 1000);
  return now;
}

/** The facts of a login (a family, a session) picked from an image by name: who, which client, which session. */
function loginFacts(image: Image | undefined): EventFacts {
  return { subject: text(image, 'subject'), client_id: text(image, 'client_id'), sid: text(image, 'sid') };
}

type Found = Omit<SecurityEvent, 'id'> & { readonly id?: string };

function familyEvents(record: StreamRecord, now: number): Found[] {
  const { OldImage: before, NewImage: after } = record.dynamodb ?? {};
  const familyId = text(after, 'family_id');
  if (record.eventName !== 'MODIFY' || familyId === undefined) return [];
  const facts: EventFacts = { ...loginFacts(after), family_id: familyId, request_id: text(after, 'request_id') };
  const found: Found[] = [];
  const reuseAt = number(after, 'reuse_detected_at');
  if (reuseAt !== undefined && number(before, 'reuse_detected_at') === undefined) {
    found.push({ type: 'refresh_token_reuse_detected', time: reuseAt, facts });
  }
  if (after?.['revoked']?.BOOL === true && before?.['revoked']?.BOOL !== true) {
    found.push({ type: 'family_revoked', time: number(after, 'revoked_at') ?? changedAt(record, now), facts: { ...facts, reason: text(after, 'revoked_reason') } });
  }
  return found;
}

/** A login challenge or a device request that the login app answered (pending → accepted | rejected). */
function loginEvents(record: StreamRecord, sortKey: 'LOGIN' | 'DEVICE', now: number): Found[] {
  const { OldImage: before, NewImage: after } = record.dynamodb ?? {};
  const status = text(after, 'status');
  if (record.eventName !== 'MODIFY' || text(before, 'status') !== 'pending' || (status !== 'accepted' && status !== 'rejected')) return [];
  // Stream records carry their time to the minute only: the item's own time where it has one.
  const time = number(after, 'answered_at') ?? changedAt(record, now);
  const requestId = text(after, 'request_id');
  if (sortKey === 'LOGIN') {
    const clientId = stringField(json(after, 'request'), 'clientId');
    if (status === 'rejected') {
      const facts = { client_id: clientId, subject: text(after, 'session_subject'), reason: text(after, 'rejected_error') ?? 'access_denied' };
      return [{ type: 'login_rejected', time, facts: { ...facts, flow: 'browser', request_id: requestId } }];
    }
    const result = json(after, 'result');
    const facts: EventFacts = { subject: stringField(result, 'subject'), client_id: clientId, acr: stringField(result, 'acr'), amr: stringsField(result, 'amr') };
    return [{ type: 'login_accepted', time, facts: { ...facts, flow: 'browser', request_id: requestId } }];
  }
  const clientId = text(after, 'client_id');
  if (status === 'rejected') return [{ type: 'login_rejected', time, facts: { client_id: clientId, reason: 'access_denied', flow: 'device', request_id: requestId } }];
  const approval = json(after, 'approval');
  const facts: EventFacts = { subject: stringField(approval, 'subject'), client_id: clientId, acr: stringField(approval, 'acr'), amr: stringsField(approval, 'amr') };
  return [{ type: 'login_accepted', time, facts: { ...facts, flow: 'device', request_id: requestId } }];
}

/**
 * A revoke-all marker written (or moved forward): a bulk revocation of a user's, a client's or
 * everyone's tokens, or the end of all of a user's SSO sessions (the `sessions` marker).
 */
function markerEvents(record: StreamRecord): Found[] {
  const { Keys: keys, OldImage: before, NewImage: after } = record.dynamodb ?? {};
  if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') return [];
  const validAfter = number(after, 'valid_after');
  if (validAfter === undefined) return [];
  if (before && number(before, 'valid_after') === validAfter && text(before, 'request_id') === text(after, 'request_id')) return [];
  const match = /^MARKER#(user|sessions|client|global)#(.*)$/s.exec(text(keys, 'pk') ?? '');
  if (!match) return [];
  const [, kind, id] = match;
  const facts: EventFacts = { reason: text(after, 'reason'), request_id: text(after, 'request_id') };
  switch (kind) {
    case 'user':
      return [{ type: 'bulk_revocation', time: validAfter, facts: { ...facts, scope: 'user', subject: id } }];
    case 'client':
      return [{ type: 'bulk_revocation', time: validAfter, facts: { ...facts, scope: 'client', client_id: id } }];
    case 'global':
      return [{ type: 'bulk_revocation', time: validAfter, facts: { ...facts, scope: 'global' } }];
    default:
      return [{ type: 'session_ended', time: validAfter, facts: { ...facts, subject: id } }];
  }
}

function clientEvents(record: StreamRecord, now: number): Found[] {
  const { OldImage: before, NewImage: after } = record.dynamodb ?? {};
  if (record.eventName === 'INSERT' && after) {
    const time = number(after, 'created_at') ?? changedAt(record, now);
    const facts: EventFacts = { client_id: text(after, 'client_id'), client_name: text(after, 'client_name'), client_type: text(after, 'type'), request_id: text(after, 'request_id') };
    return [{ type: 'client_registered', time, facts }];
  }
  if (record.eventName === 'REMOVE' && before) {
    // A deletion leaves nothing to carry a time: the stream's, to the minute.
    return [{ type: 'client_deleted', time: changedAt(record, now), facts: { client_id: text(before, 'client_id'), client_name: text(before, 'client_name'), client_type: text(before, 'type') } }];
  }
  return [];
}

const RECORDED_TYPES: ReadonlySet<string> = new Set<SecurityEventType>([
  'family_expired',
  'user_event_received',
  'session_ended',
  'rate_limit_tripped',
  'configuration_rejected',
]);

/** An event recorded in the outbox (`EVENT#<id>`): it already has its id, type, time and facts. */
function recordedEvents(record: StreamRecord): Found[] {
  const after = record.dynamodb?.NewImage;
  const type = text(after, 'type');
  const id = text(after, 'id');
  const time = number(after, 'at');
  if (record.eventName !== 'INSERT' || type === undefined || !RECORDED_TYPES.has(type) || id === undefined || time === undefined) return [];
  return [{ type: type as SecurityEventType, id, time, facts: json(after, 'facts') as EventFacts }];
}

/**
 * The security events a record of the table's stream shows, each with an id derived from the
 * record (its `eventID`, the same on every delivery) and the event's type, or the id the
 * outbox item carries. Everything else on the table (codes, sessions, counters, rotations…)
 * shows none. The stack's event source filter lets through the same records.
 */
export function eventsOf(record: StreamRecord, stage: string, now: number): SecurityEvent[] {
  const sortKey = text(record.dynamodb?.Keys, 'sk');
  let found: Found[];
  switch (sortKey) {
    case 'FAMILY':
      found = familyEvents(record, now);
      break;
    case 'LOGIN':
    case 'DEVICE':
      found = loginEvents(record, sortKey, now);
      break;
    case 'MARKER':
      found = markerEvents(record);
      break;
    case 'CLIENT':
      found = clientEvents(record, now);
      break;
    case 'EVENT':
      found = recordedEvents(record);
      break;
    default:
      found = [];
  }
  const recordId = record.eventID ?? record.dynamodb?.SequenceNumber;
  return found.flatMap((event) => {
    if (event.id !== undefined) return [event as SecurityEvent];
    if (recordId === undefined) return [];
    return [{ ...event, id: eventId(stage, `stream\n${recordId}\n${event.type}`) }];
  });
}
