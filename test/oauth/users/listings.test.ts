import { QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DynamoDbSessionStore } from '../../../functions/adapters/dynamodb/session-store.ts';
import { DynamoDbSubjectIndex } from '../../../functions/adapters/dynamodb/subject-index.ts';
import { OAuthError } from '../../../functions/oauth/errors.ts';
import { hashSecret } from '../../../functions/oauth/secrets.ts';
import type { Session } from '../../../functions/oauth/sessions/session.ts';
import { decodeRefreshToken } from '../../../functions/oauth/tokens/refresh-token.ts';
import { decodeCursor, encodeCursor } from '../../../functions/oauth/users/cursor.ts';
import { listFamilies, listSessions, PAGE_SIZE, type ListingDependencies } from '../../../functions/oauth/users/listings.ts';
import { countCalls, grantFixture } from '../../support/grant-fixture.ts';

type Fixture = Awaited<ReturnType<typeof grantFixture>>;
type Listed = { family_id: string; created_at: number; generation: number; last_used_at: number; expires_at: number };

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'TransactWriteItemsCommand', 'BatchWriteItemCommand']);
const familyOf = (refreshToken: string) => decodeRefreshToken(refreshToken)!.familyId;

/**
 * The listings against DynamoDB Local, with the clock injected: expiry is read, never left to
 * TTL; revoke-all markers hide what they killed; pages hold, whatever happens between them.
 * The families come from real code exchanges (grantFixture, subject `alice`).
 */
describe('listing a user’s families and sessions (subject index, injected clock)', () => {
  const listing = (f: Fixture): ListingDependencies => ({
    clock: f.clock,
    index: new DynamoDbSubjectIndex(f.dynamo, f.tableName),
    lifetimes: f.deps.lifetimes,
    markers: f.deps.markers,
  });
  const all = async (f: Fixture, subject = 'alice') => {
    const pages: Listed[][] = [];
    let cursor: string | undefined;
    do {
      const page = await listFamilies(listing(f), subject, new URLSearchParams(cursor === undefined ? {} : { cursor }));
      pages.push(page.families as Listed[]);
      cursor = page.next_cursor;
    } while (cursor !== undefined);
    return pages;
  };
  const ids = async (f: Fixture) => (await all(f)).flat().map((family) => family.family_id);

  it('pages families created in the same second by id, newest first, and a revocation between pages moves nothing', async () => {
    const f = await grantFixture();
    const issued: string[] = [];
    for (let index = 0; index < 2 * PAGE_SIZE + 5; index += 1) issued.push(familyOf((await f.issue()).refresh_token!));
    const pages = await all(f);
    expect(pages.map((page) => page.length)).toEqual([PAGE_SIZE, PAGE_SIZE, 5]);
    expect(pages.flat().map((family) => family.family_id)).toEqual([...issued].sort().reverse());

    // The entry the cursor names is revoked (and leaves the index), another one on the next page too.
    const first = await listFamilies(listing(f), 'alice', new URLSearchParams());
    const last = first.families.at(-1)!.family_id;
    const later = pages[1]![3]!.family_id;
    await f.deps.families.revoke(last, 'admin', f.clock.seconds);
    await f.deps.families.revoke(later, 'admin', f.clock.seconds);
    // Revoked families leave the index itself, not only the listing.
    const { Count } = await f.dynamo.send(
      new QueryCommand({
        TableName: f.tableName,
        IndexName: 'by-subject',
        KeyConditionExpression: 'subject_pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'USER#alice' } },
        Select: 'COUNT',
      }),
    );
    expect(Count).toBe(issued.length - 2);
    const second = await listFamilies(listing(f), 'alice', new URLSearchParams({ cursor: first.next_cursor! }));
    expect(second.families.map((family) => family.family_id)).toEqual(
      [...pages[1]!, ...pages[2]!].map((family) => family.family_id).filter((id) => id !== later).slice(0, PAGE_SIZE),
    );
  });

  it('expiry is read at every listing: past the idle lifetime in force now, a family is gone though its item is still there', async () => {
    const f = await grantFixture();
    const kept = familyOf((await f.issue()).refresh_token!);
    f.clock.advance(100);
    const idle = familyOf((await f.issue()).refresh_token!);
    expect(await ids(f)).toEqual([idle, kept]);
    f.parameters.set('refresh_token_idle_ttl', '150');
    f.clock.advance(60);
    const [listed] = (await all(f)).flat();
    expect(listed).toMatchObject({ family_id: idle, expires_at: listed!.last_used_at + 150 });
    f.clock.advance(100);
    expect(await ids(f)).toEqual([]);
    expect(await f.deps.families.get(idle)).toBeDefined();
  });

  it('a revoke-all marker hides the families it killed, though their items are marked only at their next use', async () => {
    const f = await grantFixture();
    const old = familyOf((await f.issue()).refresh_token!);
    f.clock.advance(5);
    await f.deps.markers.write('user', 'alice', f.clock.seconds, f.clock.seconds + 86_400);
    f.clock.advance(1);
    const after = familyOf((await f.issue()).refresh_token!);
    expect(await ids(f)).toEqual([after]);
    expect((await f.deps.families.get(old))?.revoked).toBe(false);
  });

  it('a family stored before the index is listed from its next refresh, and that refresh is still one write', async () => {
    const f = await grantFixture();
    const tokens = await f.issue();
    const familyId = familyOf(tokens.refresh_token!);
    await f.dynamo.send(
      new UpdateItemCommand({
        TableName: f.tableName,
        Key: { pk: { S: `FAMILY#${familyId}` }, sk: { S: 'FAMILY' } },
        UpdateExpression: 'REMOVE subject_pk, subject_sk',
      }),
    );
    expect(await ids(f)).toEqual([]);
    f.clock.advance(10);
    const calls = countCalls(f.dynamo);
    const refreshed = await f.refresh(tokens.refresh_token!);
    expect(calls.filter((call) => WRITES.has(call))).toEqual(['UpdateItemCommand']);
    const [listed] = (await all(f)).flat();
    expect(listed).toMatchObject({ family_id: familyId, generation: 1, last_used_at: f.clock.seconds });
    expect(familyOf(refreshed.refresh_token!)).toBe(familyId);
  });

  it('sessions: idle and absolute expiry on the injected clock, the sliding update, the sessions marker', async () => {
    const f = await grantFixture();
    const sessions = new DynamoDbSessionStore(f.dynamo, f.tableName);
    const start = async (subject: string, idleTtl: number, absolute: number) => {
      const cookieHash = hashSecret(randomBytes(32).toString('base64url'));
      const now = f.clock.seconds;
      const session: Session = {
        sid: randomBytes(16).toString('base64url'),
        subject,
        authTime: now,
        acr: 'urn:example:pwd',
        clientId: f.client.clientId,
        createdAt: now,
        lastSeenAt: now,
        idleTtl,
        absoluteExpiresAt: now + absolute,
        remember: false,
      };
      await sessions.create(cookieHash, session);
      return { session, cookieHash };
    };
    const sids = async (subject = 'alice') => (await listSessions(listing(f), subject, new URLSearchParams())).sessions.map((session) => session.sid);

    const sliding = await start('alice', 100, 1000);
    f.clock.advance(1);
    const capped = await start('alice', 500, 150);
    expect(await sids()).toEqual([capped.session.sid, sliding.session.sid]);
    f.clock.advance(90);
    await sessions.touch(sliding.cookieHash, sliding.session, f.clock.seconds);
    const [, touched] = (await listSessions(listing(f), 'alice', new URLSearchParams())).sessions;
    expect(touched).toEqual({
      sid: sliding.session.sid,
      client_id: f.client.clientId,
      created_at: sliding.session.createdAt,
      last_seen_at: f.clock.seconds,
      expires_at: f.clock.seconds + 100,
      acr: 'urn:example:pwd',
      amr: null,
    });
    f.clock.advance(60);
    // Past its absolute expiry (created + 150) though inside its idle window.
    expect(await sids()).toEqual([sliding.session.sid]);
    f.clock.advance(50);
    // Past its idle window (last seen + 100).
    expect(await sids()).toEqual([]);

    const bob = await start('bob', 100, 1000);
    expect(await sids('bob')).toEqual([bob.session.sid]);
    f.clock.advance(1);
    await f.deps.markers.write('sessions', 'bob', f.clock.seconds, f.clock.seconds + 86_400);
    expect(await sids('bob')).toEqual([]);
  });

  it('a cursor names its listing, its subject and a position; anything else is invalid_request', () => {
    const position = { createdAt: 1_700_000_000, id: randomBytes(16).toString('base64url') };
    const cursor = encodeCursor('families', 'alice', position);
    expect(decodeCursor('families', 'alice', cursor)).toEqual(position);
    const refused = (kind: 'families' | 'sessions', subject: string, text: string) => {
      try {
        decodeCursor(kind, subject, text);
      } catch (error) {
        return error instanceof OAuthError && error.code === 'invalid_request' && error.status === 400;
      }
      return false;
    };
    expect(refused('sessions', 'alice', cursor)).toBe(true);
    expect(refused('families', 'bob', cursor)).toBe(true);
    let accepted = 0;
    for (let at = 0; at < cursor.length; at += 1) {
      const altered = `${cursor.slice(0, at)}${cursor[at] === 'x' ? 'y' : 'x'}${cursor.slice(at + 1)}`;
      if (refused('families', 'alice', altered)) continue;
      // Only a change in the unused low bits of a base64 character decodes to the same bytes: the same cursor.
      expect(decodeCursor('families', 'alice', altered)).toEqual(position);
      accepted += 1;
    }
    expect(accepted).toBeLessThanOrEqual(1);
  });
});
