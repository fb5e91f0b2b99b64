import { PutItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Clock } from '../../oauth/clock.ts';
import type { MarkerKind, RevocationMarkers } from '../../oauth/tokens/markers.ts';
import { n, readNumber, readString, s } from './attributes.ts';

const PARTITION = 'MARKERS';
/** Writers' clocks differ a little: each sync re-reads a few seconds back. */
const OVERLAP_MS = 5_000;

export interface DynamoDbRevocationMarkersOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly clock: Clock;
  /** How stale the in-memory markers may get. @default 5000 */
  readonly syncIntervalMs?: number;
}

/**
 * Markers live in one partition sorted by write time, so an execution environment loads them
 * all once and then, at most every `syncIntervalMs`, only the ones written since: a refresh
 * checks markers without a DynamoDB call of its own, and a bulk revocation reaches every
 * function within the sync interval.
 */
export class DynamoDbRevocationMarkers implements RevocationMarkers {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #clock: Clock;
  readonly #interval: number;
  readonly #markers = new Map<string, { validAfter: number; expiresAt: number }>();
  #syncedAt = Number.NEGATIVE_INFINITY;
  #since = '0';
  #syncing: Promise<void> | undefined;

  constructor(options: DynamoDbRevocationMarkersOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#clock = options.clock;
    this.#interval = options.syncIntervalMs ?? 5_000;
  }

  validAfter(subject: string, clientId: string): Promise<number> {
    return this.#latest([`user#${subject}`, `client#${clientId}`, 'global#*']);
  }

  sessionsValidAfter(subject: string): Promise<number> {
    return this.#latest([`sessions#${subject}`, 'global#*']);
  }

  async #latest(ids: readonly string[]): Promise<number> {
    await this.#sync();
    const now = Math.floor(this.#clock.now() / 1000);
    let latest = 0;
    for (const id of ids) {
      const marker = this.#markers.get(id);
      if (marker && marker.expiresAt > now) latest = Math.max(latest, marker.validAfter);
    }
    return latest;
  }

  async write(kind: MarkerKind, id: string, validAfter: number, retainUntil: number): Promise<void> {
    const writtenAt = this.#clock.now();
    await this.#client.send(
      new PutItemCommand({
        TableName: this.#table,
        Item: {
          pk: s(PARTITION),
          sk: s(`${String(writtenAt).padStart(15, '0')}#${kind}#${kind === 'global' ? '*' : id}`),
          kind: s(kind),
          id: s(kind === 'global' ? '*' : id),
          valid_after: n(validAfter),
          expires_at: n(retainUntil),
        },
      }),
    );
    // This environment sees its own write at once.
    this.#remember(`${kind}#${kind === 'global' ? '*' : id}`, validAfter, retainUntil);
  }

  #remember(id: string, validAfter: number, expiresAt: number): void {
    const known = this.#markers.get(id);
    if (!known || known.validAfter < validAfter) this.#markers.set(id, { validAfter, expiresAt });
  }

  #sync(): Promise<void> {
    if (this.#clock.now() - this.#syncedAt < this.#interval) return Promise.resolve();
    this.#syncing ??= this.#load().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #load(): Promise<void> {
    const startedAt = this.#clock.now();
    let exclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND sk > :since',
          ExpressionAttributeValues: { ':pk': s(PARTITION), ':since': s(this.#since) },
          ...(exclusiveStartKey && { ExclusiveStartKey: exclusiveStartKey }),
        }),
      );
      for (const item of page.Items ?? []) {
        this.#remember(`${readString(item, 'kind')}#${readString(item, 'id')}`, readNumber(item, 'valid_after'), readNumber(item, 'expires_at'));
      }
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
    this.#since = String(Math.max(0, startedAt - OVERLAP_MS)).padStart(15, '0');
    this.#syncedAt = startedAt;
  }
}
