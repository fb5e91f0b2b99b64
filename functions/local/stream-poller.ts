/**
 * What Lambda's event source mapping does in AWS, for DynamoDB Local: reads the table's stream
 * and hands each batch of records to the stream handler, resuming at the record it reports as
 * failed. Local mode only (npm start and the tests); never bundled into a Lambda.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import type { BatchResponse, StreamRecord } from '../adapters/dynamodb/family-stream.ts';
import type { Logger } from '../observability/logger.ts';

export interface StreamPollerOptions {
  readonly endpoint: string;
  readonly tableName: string;
  /** The stream handler, called as Lambda calls it. */
  readonly handler: (event: { readonly Records: readonly StreamRecord[] }) => Promise<BatchResponse>;
  readonly logger: Logger;
  /** Pause between reads of a shard that had nothing new. @default 250 */
  readonly intervalMs?: number;
  /** Records per batch, like the event source mapping's batch size. @default 100 */
  readonly batchSize?: number;
}

export interface StreamPoller {
  /** Stops polling; resolves once the batch in hand (if any) is handled. */
  stop(): Promise<void>;
}

interface Shard {
  iterator: string | undefined;
  /** The last record handled, to resume after an expired iterator. */
  lastSequence: string | undefined;
  closed: boolean;
}

/** How often the list of shards is re-read (DynamoDB Local rolls shards over now and then). */
const SHARD_REFRESH_MS = 5_000;

export function startStreamPoller(options: StreamPollerOptions): StreamPoller {
  const config = { endpoint: options.endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const dynamo = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  const interval = options.intervalMs ?? 250;
  const shards = new Map<string, Shard>();
  let streamArn: string | undefined;
  let shardsReadAt = Number.NEGATIVE_INFINITY;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const iterator = async (shardId: string, type: ShardIteratorType, sequence?: string) =>
    (
      await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ShardIteratorType: type,
          SequenceNumber: sequence,
        }),
      )
    ).ShardIterator;

  const readShards = async () => {
    streamArn ??= (await dynamo.send(new DescribeTableCommand({ TableName: options.tableName }))).Table?.LatestStreamArn;
    if (streamArn === undefined) throw new Error(`table ${options.tableName} has no stream`);
    let start: string | undefined;
    do {
      const { StreamDescription } = await streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }),
      );
      for (const { ShardId } of StreamDescription?.Shards ?? []) {
        if (ShardId !== undefined && !shards.has(ShardId)) {
          shards.set(ShardId, { iterator: await iterator(ShardId, 'TRIM_HORIZON'), lastSequence: undefined, closed: false });
        }
      }
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start !== undefined);
    shardsReadAt = Date.now();
  };

  /** Reads one batch of a shard and hands it over; true when it had records. */
  const pollShard = async (shardId: string, shard: Shard): Promise<boolean> => {
    if (shard.iterator === undefined) {
      shard.closed = true;
      return false;
    }
    let page;
    try {
      page = await streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: options.batchSize ?? 100 }));
    } catch (error) {
      if (!(error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException)) throw error;
      shard.iterator =
        shard.lastSequence === undefined || error instanceof TrimmedDataAccessException
          ? await iterator(shardId, 'TRIM_HORIZON')
          : await iterator(shardId, 'AFTER_SEQUENCE_NUMBER', shard.lastSequence);
      return true;
    }
    const records = page.Records ?? [];
    if (records.length === 0) {
      shard.iterator = page.NextShardIterator;
      return false;
    }
    const { batchItemFailures } = await options.handler({ Records: records as readonly StreamRecord[] });
    const failed = batchItemFailures[0]?.itemIdentifier;
    if (failed !== undefined) {
      // As Lambda does: the batch again, from the failed record on (after a pause).
      shard.iterator = await iterator(shardId, 'AT_SEQUENCE_NUMBER', failed);
      return false;
    }
    shard.lastSequence = records.at(-1)?.dynamodb?.SequenceNumber;
    shard.iterator = page.NextShardIterator;
    return true;
  };

  const tick = async () => {
    let busy = false;
    try {
      if (Date.now() - shardsReadAt >= SHARD_REFRESH_MS) await readShards();
      for (const [shardId, shard] of shards) {
        if (stopped) return;
        if (!shard.closed && (await pollShard(shardId, shard))) busy = true;
      }
    } catch (error) {
      options.logger.error('stream_poll_failed', { table: options.tableName, error: error instanceof Error ? error.message : String(error) });
    }
    // A shard that had records is read again at once; an idle stream is read every interval.
    if (!stopped) timer = setTimeout(run, busy ? 0 : interval).unref();
  };
  const run = () => {
    running = tick();
  };
  run();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      dynamo.destroy();
      streams.destroy();
    },
  };
}
