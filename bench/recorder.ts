import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** One DynamoDB call as the SDK saw it: the command's name (`UpdateItemCommand`) and its input. */
export interface RecordedCall {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

/**
 * Counts the DynamoDB calls of the service's own clients, with the same middleware as the
 * tests' `countCalls` (test/support/grant-fixture.ts). The service builds its DynamoDBClient
 * inside the handler module, out of reach, so the middleware is added to every DynamoDBClient
 * of this process at its first `send`; the bench's own clients (setup, floor) are left out.
 */
export interface CallRecorder {
  /** Calls by command name since the last {@link CallRecorder.resetTotals}. */
  readonly totals: Map<string, number>;
  resetTotals(): void;
  /** The calls `operation` made, in order (nothing else may run meanwhile). */
  during<T>(operation: () => Promise<T>): Promise<{ result: T; calls: RecordedCall[] }>;
  /** A DynamoDBClient whose calls are never recorded. */
  benchClient(endpoint: string): DynamoDBClient;
}

let installed: CallRecorder | undefined;

export function installCallRecorder(): CallRecorder {
  if (installed) return installed;
  const instrumented = new WeakSet<DynamoDBClient>();
  const ignored = new WeakSet<DynamoDBClient>();
  const totals = new Map<string, number>();
  let log: RecordedCall[] | undefined;

  const original = DynamoDBClient.prototype.send;
  const send = function (this: DynamoDBClient, ...args: unknown[]): unknown {
    if (!instrumented.has(this)) {
      instrumented.add(this);
      if (!ignored.has(this)) {
        this.middlewareStack.add(
          (next, context) => async (handlerArgs) => {
            const command = context.commandName ?? 'unknown';
            totals.set(command, (totals.get(command) ?? 0) + 1);
            log?.push({ command, input: handlerArgs.input as Record<string, unknown> });
            return next(handlerArgs);
          },
          { step: 'initialize', name: 'benchCallRecorder' },
        );
      }
    }
    return (original as (...all: unknown[]) => unknown).apply(this, args);
  };
  DynamoDBClient.prototype.send = send as typeof original;

  installed = {
    totals,
    resetTotals: () => totals.clear(),
    async during(operation) {
      if (log) throw new Error('call recording does not nest');
      const calls: RecordedCall[] = [];
      log = calls;
      try {
        return { result: await operation(), calls };
      } finally {
        log = undefined;
      }
    },
    benchClient(endpoint) {
      const client = new DynamoDBClient({
        endpoint,
        region: 'local',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      ignored.add(client);
      return client;
    },
  };
  return installed;
}
