import { describe, expect, it } from 'vitest';
import type { StreamRecord } from '../../../functions/adapters/dynamodb/family-stream.ts';
import { eventsOf } from '../../../functions/adapters/dynamodb/stream-events.ts';
import { eventId } from '../../../functions/events/security-event.ts';

const image = (values: Record<string, string | number | boolean>) =>
  Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, typeof value === 'number' ? { N: String(value) } : typeof value === 'boolean' ? { BOOL: value } : { S: value }]),
  );
const change = (eventName: string, keys: Record<string, string>, before?: Record<string, string | number | boolean>, after?: Record<string, string | number | boolean>, eventID = 'rec-1'): StreamRecord => ({
  eventID,
  eventName,
  dynamodb: {
    SequenceNumber: '100',
    Keys: image(keys),
    ...(before && { OldImage: image(before) }),
    ...(after && { NewImage: image(after) }),
    ApproximateCreationDateTime: new Date(1_700_000_040_000),
  },
});
const family = { family_id: 'fam', subject: 'alice', client_id: 'web', sid: 'sid-1', current_hash: 'h1', previous_hash: 'h0', revoked: false, generation: 3 };
const FAMILY_KEYS = { pk: 'FAMILY#fam', sk: 'FAMILY' };

describe('the security events a stream record shows', () => {
  it('a reuse: reuse detected and the family revoked, ids from the record and the type, no hash in the facts', () => {
    const events = eventsOf(
      change('MODIFY', FAMILY_KEYS, family, { ...family, revoked: true, revoked_reason: 'reuse', revoked_at: 1_700_000_000, reuse_detected_at: 1_700_000_000, request_id: 'req' }),
      'test',
      0,
    );
    expect(events).toEqual([
      { type: 'refresh_token_reuse_detected', id: eventId('test', 'stream\nrec-1\nrefresh_token_reuse_detected'), time: 1_700_000_000, facts: { subject: 'alice', client_id: 'web', sid: 'sid-1', family_id: 'fam', request_id: 'req' } },
      { type: 'family_revoked', id: eventId('test', 'stream\nrec-1\nfamily_revoked'), time: 1_700_000_000, facts: { subject: 'alice', client_id: 'web', sid: 'sid-1', family_id: 'fam', request_id: 'req', reason: 'reuse' } },
    ]);
    expect(JSON.stringify(events)).not.toMatch(/h0|h1/);
    // The same record delivered again: the same ids. Another stage: others.
    expect(eventsOf(change('MODIFY', FAMILY_KEYS, family, { ...family, revoked: true, reuse_detected_at: 1 }), 'test', 0).map((event) => event.id)).toEqual(events.map((event) => event.id));
    expect(eventsOf(change('MODIFY', FAMILY_KEYS, family, { ...family, revoked: true, reuse_detected_at: 1 }), 'prod', 0)[0]!.id).not.toBe(events[0]!.id);
  });

  it('shows nothing for a rotation, a family revoked before, a TTL deletion, or any other item', () => {
    expect(eventsOf(change('MODIFY', FAMILY_KEYS, family, { ...family, generation: 4 }), 'test', 0)).toEqual([]);
    const revoked = { ...family, revoked: true, revoked_reason: 'admin', revoked_at: 5 };
    expect(eventsOf(change('MODIFY', FAMILY_KEYS, revoked, { ...revoked, last_used_at: 9 }), 'test', 0)).toEqual([]);
    expect(eventsOf(change('REMOVE', FAMILY_KEYS, family), 'test', 0)).toEqual([]);
    expect(eventsOf(change('INSERT', { pk: 'SESSION#x', sk: 'SESSION' }, undefined, { subject: 'alice' }), 'test', 0)).toEqual([]);
    expect(eventsOf(change('MODIFY', { pk: 'RATE#k#1', sk: 'RATE' }, { count: 1 }, { count: 2 }), 'test', 0)).toEqual([]);
    expect(eventsOf(change('INSERT', { pk: 'PUBLISHED#x', sk: 'PUBLISHED' }, undefined, { expires_at: 1 }), 'test', 0)).toEqual([]);
    expect(eventsOf({ eventName: 'MODIFY' }, 'test', 0)).toEqual([]);
  });

  it('a login answered (pending → accepted | rejected), never its consumption or its secrets', () => {
    const keys = { pk: 'LOGIN#hash', sk: 'LOGIN' };
    const pending = { status: 'pending', request: JSON.stringify({ clientId: 'web', state: 's' }), csrf_hash: 'secret-hash' };
    const accepted = { ...pending, status: 'accepted', verifier_hash: 'vh', answered_at: 1_700_000_001, result: JSON.stringify({ subject: 'alice', amr: ['pwd'], acr: 'gold', remember: true }) };
    expect(eventsOf(change('MODIFY', keys, pending, accepted), 'test', 0)).toEqual([
      expect.objectContaining({ type: 'login_accepted', time: 1_700_000_001, facts: { subject: 'alice', client_id: 'web', acr: 'gold', amr: ['pwd'], flow: 'browser', request_id: undefined } }),
    ]);
    expect(eventsOf(change('MODIFY', keys, accepted, { ...accepted, status: 'consumed' }), 'test', 0)).toEqual([]);
    const rejected = eventsOf(change('MODIFY', keys, pending, { ...pending, status: 'rejected', rejected_error: 'login_required' }), 'test', 0);
    expect(rejected).toEqual([expect.objectContaining({ type: 'login_rejected', time: 1_700_000_040, facts: expect.objectContaining({ client_id: 'web', reason: 'login_required' }) })]);
    expect(JSON.stringify(rejected)).not.toContain('secret-hash');
  });

  it('a marker written: a bulk revocation by scope, or all of a user\'s sessions ended; nothing when it did not move', () => {
    const marker = (pk: string, after: Record<string, string | number>, before?: Record<string, string | number>) =>
      eventsOf(change(before ? 'MODIFY' : 'INSERT', { pk, sk: 'MARKER' }, before, after), 'test', 0);
    expect(marker('MARKER#user#alice', { valid_after: 10, reason: 'compromised', request_id: 'r' })).toEqual([
      expect.objectContaining({ type: 'bulk_revocation', time: 10, facts: { scope: 'user', subject: 'alice', reason: 'compromised', request_id: 'r' } }),
    ]);
    expect(marker('MARKER#client#web', { valid_after: 10, reason: 'client_deleted' })[0]).toMatchObject({ type: 'bulk_revocation', facts: { scope: 'client', client_id: 'web' } });
    expect(marker('MARKER#global#*', { valid_after: 10, reason: 'admin' })[0]).toMatchObject({ type: 'bulk_revocation', facts: { scope: 'global' } });
    expect(marker('MARKER#sessions#alice', { valid_after: 10, reason: 'password_changed' })[0]).toMatchObject({ type: 'session_ended', facts: { subject: 'alice', reason: 'password_changed' } });
    expect(marker('MARKER#user#alice', { valid_after: 10, expires_at: 99, request_id: 'r' }, { valid_after: 10, expires_at: 50, request_id: 'r' })).toEqual([]);
    expect(marker('MARKER#user#alice', { valid_after: 11, request_id: 'r2' }, { valid_after: 10, request_id: 'r' })).toHaveLength(1);
  });

  it('clients registered and deleted, without their secret hash', () => {
    const client = { client_id: 'web', client_name: 'Web', type: 'confidential', secret_hash: 'sh', created_at: 7 };
    const [registered] = eventsOf(change('INSERT', { pk: 'CLIENT#web', sk: 'CLIENT' }, undefined, client), 'test', 0);
    expect(registered).toMatchObject({ type: 'client_registered', time: 7, facts: { client_id: 'web', client_name: 'Web', client_type: 'confidential' } });
    const [deleted] = eventsOf(change('REMOVE', { pk: 'CLIENT#web', sk: 'CLIENT' }, client), 'test', 0);
    expect(deleted).toMatchObject({ type: 'client_deleted', time: 1_700_000_040 });
    expect(JSON.stringify([registered, deleted])).not.toContain('sh"');
  });

  it('an event recorded in the outbox, as recorded; an outbox item of another kind is not published', () => {
    const keys = { pk: 'EVENT#e1', sk: 'EVENT' };
    const item = { id: 'e1', type: 'rate_limit_tripped', at: 5, facts: JSON.stringify({ reason: 'refresh', family_id: 'fam' }) };
    expect(eventsOf(change('INSERT', keys, undefined, item), 'test', 0)).toEqual([{ type: 'rate_limit_tripped', id: 'e1', time: 5, facts: { reason: 'refresh', family_id: 'fam' } }]);
    expect(eventsOf(change('INSERT', keys, undefined, { ...item, type: 'family_revoked' }), 'test', 0)).toEqual([]);
    expect(eventsOf(change('REMOVE', keys, item), 'test', 0)).toEqual([]);
    expect(eventsOf(change('INSERT', keys, undefined, { ...item, facts: 'not json' }), 'test', 0)[0]!.facts).toEqual({});
  });
});
