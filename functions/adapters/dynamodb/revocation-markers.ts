import {
  BatchGetItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Clock } from '../../oauth/clock.ts';
import { TemporarilyUnavailable } from '../../oauth/errors.ts';
import type { MarkerKind, MarkerReason, MarkerTimes, RevocationMarkers } from '../../oauth/tokens/markers.ts';
import { n, readNumber, readString, s } from './attributes.ts';
import { requestIdUpdate } from './request-attribute.ts';
import { conditional } from './table-store.ts';

type Item = Record<string, AttributeValue>;

const key = (kind: MarkerKind, id: string): Item => ({ pk: s(`MARKER#${kind}#${kind === 'global' ? '*' : id}`), sk: s('MARKER') });

/** Where versions before per-marker items wrote them: one partition, sorted by write time. */
const LEGACY_PARTITION = 'MARKERS';
/** Legacy markers are never written any more; a function re-reads them this often (an old version may still run during a deploy). */
const LEGACY_REFRESH_MS = 60_000;
/** BatchGetItem may leave keys unprocessed under throttling: tried again this often, then 503. */
const BATCH_ATTEMPTS = 3;

export interface DynamoDbRevocationMarkersOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly clock: Clock;
}

/**
 * One item per marker (`MARKER#<kind>#<id>`), holding the latest `valid_after`. Every check is
 * one consistent BatchGetItem of the few markers that apply, so a revocation is seen by the very
 * next request in every function: there is no cache window. A marker only moves forward.
 */
export class DynamoDbRevocationMarkers implements RevocationMarkers {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #clock: Clock;
  #legacy: { readonly at: number; readonly markers: Promise<ReadonlyMap<string, number>> } | undefined;

  constructor(options: DynamoDbRevocationMarkersOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#clock = options.clock;
  }

  async times(subject: string | undefined, clientId: string | undefined): Promise<MarkerTimes> {
    const wanted: Array<[MarkerKind, string]> = [['global', '*']];
    if (subject !== undefined) wanted.push(['user', subject], ['sessions', subject]);
    if (clientId !== undefined) wanted.push(['client', clientId]);
    const [found, legacy] = await Promise.all([this.#read(wanted), this.#legacyMarkers()]);
    const at = (kind: MarkerKind, id: string | undefined) =>
      id === undefined ? 0 : Math.max(found.get(`${kind}#${kind === 'global' ? '*' : id}`) ?? 0, legacy.get(`${kind}#${kind === 'global' ? '*' : id}`) ?? 0);
    const global = at('global', '*');
    const tokens = Math.max(global, at('user', subject), at('client', clientId));
    return { tokens, sessions: Math.max(global, at('sessions', subject), tokens) };
  }

  async validAfter(subject: string | undefined, clientId: string): Promise<number> {
    return (await this.times(subject, clientId)).tokens;
  }

  async sessionsValidAfter(subject: string, clientId?: string): Promise<number> {
    return (await this.times(subject, clientId)).sessions;
  }

  async write(kind: MarkerKind, id: string, validAfter: number, retainUntil: number, reason?: MarkerReason): Promise<void> {
    // Markers move only forward, and so does how long they are kept: a later marker with a
    // shorter retention (another policy, a shorter lifetime since) must not let the earlier
    // one lapse before the families it killed. Usually one write; at most two. Why and by which
    // request go with the marker, for the security event its write shows on the table's stream.
    const forward = 'attribute_not_exists(valid_after) OR valid_after <= :v';
    const request = requestIdUpdate();
    const cause = reason === undefined ? '' : ', #reason = :reason';
    const values = { ':v': n(validAfter), ':e': n(retainUntil), ...(reason !== undefined && { ':reason': s(reason) }), ...request.values };
    const update = (expression: string, condition: string) =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: key(kind, id),
          UpdateExpression: `${expression}${cause}${request.set}`,
          ConditionExpression: condition,
          ...(reason !== undefined && { ExpressionAttributeNames: { '#reason': 'reason' } }),
          ExpressionAttributeValues: values,
        }),
      );
    const moved = update('SET valid_after = :v, expires_at = :e', `(${forward}) AND (attribute_not_exists(expires_at) OR expires_at <= :e)`);
    if (await conditional(moved.then(() => true), () => false)) return;
    // Kept longer already: move valid_after alone (a newer marker already there wins).
    await conditional(update('SET valid_after = :v', `valid_after <= :v AND expires_at > :e`).then(() => undefined), () => undefined);
  }

  async #read(wanted: ReadonlyArray<[MarkerKind, string]>): Promise<Map<string, number>> {
    const now = Math.floor(this.#clock.now() / 1000);
    const found = new Map<string, number>();
    let keys: Item[] = wanted.map(([kind, id]) => key(kind, id));
    for (let attempt = 0; keys.length > 0; attempt += 1) {
      if (attempt === BATCH_ATTEMPTS) throw new TemporarilyUnavailable(1, undefined, { cause: new Error('DynamoDB left revocation markers unprocessed') });
      const output = await this.#client.send(
        new BatchGetItemCommand({ RequestItems: { [this.#table]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of output.Responses?.[this.#table] ?? []) {
        // Expiry is checked on every read: TTL deletes late.
        if (readNumber(item, 'expires_at') > now) found.set(readString(item, 'pk').slice('MARKER#'.length), readNumber(item, 'valid_after'));
      }
      keys = output.UnprocessedKeys?.[this.#table]?.Keys ?? [];
    }
    return found;
  }

  #legacyMarkers(): Promise<ReadonlyMap<string, number>> {
    const now = this.#clock.now();
    if (!this.#legacy || now - this.#legacy.at >= LEGACY_REFRESH_MS) {
      const markers = this.#loadLegacy();
      this.#legacy = { at: now, markers };
      markers.catch(() => {
        if (this.#legacy?.markers === markers) this.#legacy = undefined;
      });
    }
    return this.#legacy.markers;
  }

  async #loadLegacy(): Promise<ReadonlyMap<string, number>> {
    const now = Math.floor(this.#clock.now() / 1000);
    const markers = new Map<string, number>();
    let exclusiveStartKey: Item | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': s(LEGACY_PARTITION) },
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (readNumber(item, 'expires_at') <= now) continue;
        const id = `${readString(item, 'kind')}#${readString(item, 'id')}`;
        markers.set(id, Math.max(markers.get(id) ?? 0, readNumber(item, 'valid_after')));
      }
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return markers;
  }
}
