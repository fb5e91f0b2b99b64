import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTable } from '../functions/adapters/dynamodb/ensure-table.ts';
import { freePort, startDynamoDbLocal, type DynamoDbLocal } from '../functions/local/dynamodb-local.ts';
import type { LambdaEntry } from '../functions/local/http-adapter.ts';
import { startLocalServer, type LocalEnvironment, type LocalServer } from '../functions/local/server.ts';
import { createHandler } from '../functions/handlers/token-handler.ts';
import { systemClock } from '../functions/oauth/clock.ts';
import type { Env } from '../functions/runtime/environment.ts';
import { SignCommand } from '@aws-sdk/client-kms';
import { FakeKms } from '../test/support/fake-kms.ts';
import { CONFIG } from './config.ts';
import type { CallRecorder } from './recorder.ts';

export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdefghijklmnop';
const TABLE = 'lifespan-bench';

/**
 * Lifetimes the bench sets. The refresh rate limit is kept (the write still carries its
 * condition, as in production) but at its loosest, so a family may rotate 20 times per 2 s.
 */
export const BENCH_PARAMETERS = { rate_limit_window: 1, refresh_rate_limit: 20 } as const;

/** Everything a run shares: DynamoDB Local, the table, the local server and the bench's own DynamoDB client. */
export interface BenchEnvironment {
  readonly dir: string;
  readonly dynamo: DynamoDbLocal;
  readonly tableName: string;
  /** The bench's client (setup and floor): the same configuration as the service's, never recorded. */
  readonly db: DynamoDBClient;
  readonly server: LocalServer;
  readonly url: string;
  /** The token function's Lambda entry (built from the same environment as the server's handlers). */
  tokenHandler(): Promise<LambdaEntry>;
  /** The token function as in AWS — KMS signing and successor key — with a KMS whose `Sign` takes `signMs`. */
  kmsLikeTokenHandler(signMs: number): LambdaEntry;
  /** Log lines the handlers wrote to stdout (EMF metrics, warnings) since the start. */
  readonly logLines: () => number;
  stop(): Promise<void>;
}

/**
 * The handlers write EMF metrics and logs to stdout, one line per data point; in a bench they
 * would bury the table. They go to a file in the run's folder instead (still written, so their
 * cost stays in the numbers); `print` writes to the real stdout.
 */
function divertStdout(file: string): { restore(): void; lines(): number; print(text: string): void } {
  // Written synchronously, as a Lambda function's stdout is (a pipe to the runtime), rather
  // than through a WriteStream that would hand every log line to libuv's thread pool and wake
  // the event loop again when it is written: work the service would not do in AWS.
  const fd = openSync(file, 'a');
  const original = process.stdout.write.bind(process.stdout);
  let lines = 0;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines += 1;
    writeSync(fd, text);
    const callback = rest.find((value) => typeof value === 'function') as (() => void) | undefined;
    if (callback) queueMicrotask(callback);
    return true;
  }) as typeof process.stdout.write;
  return {
    restore: () => {
      process.stdout.write = original;
      closeSync(fd);
    },
    lines: () => lines,
    print: (text) => void original(text),
  };
}

/**
 * The token function with KMS (test/support's faithful fake) answering `Sign` after `signMs`, as
 * KMS does in-region: what the refresh's latency is in AWS, where the markers read runs beside
 * the signature instead of after it.
 */
function kmsLikeTokenHandler(environment: LocalEnvironment, signMs: number): LambdaEntry {
  const fake = new FakeKms();
  // RSA: the fake's P-256 signatures are pure-JS BigInt arithmetic (milliseconds of CPU), KMS's cost it nothing.
  const signing = fake.createKey({ keySpec: 'RSA_2048' });
  const mac = fake.createKey({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' });
  const kms = {
    async send(command: Parameters<FakeKms['send']>[0]) {
      if (command instanceof SignCommand) await new Promise((resolve) => setTimeout(resolve, signMs));
      return fake.send(command as never);
    },
  } as unknown as FakeKms;
  const env: Env = { ...environment, LIFESPAN_SIGNER: 'kms', LIFESPAN_KMS_KEY_ID: signing.keyId, LIFESPAN_KMS_MAC_KEY_ID: mac.keyId };
  return createHandler({ env, clock: systemClock, write: (line) => void process.stdout.write(`${line}\n`), aws: { kms } }) as LambdaEntry;
}

let printer: (text: string) => void = (text) => void process.stdout.write(text);

/** Writes to the real stdout, even while the handlers' output is diverted. */
export const print = (text: string): void => printer(text);

export async function startEnvironment(recorder: CallRecorder): Promise<BenchEnvironment> {
  const dir = await mkdtemp(join(tmpdir(), 'lifespan-bench-'));
  const dynamo = await startDynamoDbLocal();
  const stopEmulator = () => dynamo.process.kill('SIGKILL');
  process.once('exit', stopEmulator);
  let diverted: ReturnType<typeof divertStdout> | undefined;
  try {
    const db = recorder.benchClient(dynamo.endpoint);
    await ensureTable(db, TABLE);
    const parametersFile = join(dir, 'parameters.json');
    await writeFile(parametersFile, `${JSON.stringify(BENCH_PARAMETERS)}\n`);
    const output = divertStdout(join(dir, 'handlers.log'));
    diverted = output;
    printer = output.print;
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const environment: LocalEnvironment = {
        LIFESPAN_STAGE: 'bench',
        LIFESPAN_ISSUER: issuer,
        LIFESPAN_TABLE: TABLE,
        LIFESPAN_DYNAMODB_ENDPOINT: dynamo.endpoint,
        LIFESPAN_SIGNER: 'local',
        LIFESPAN_LOCAL_KEY_FILE: join(dir, 'signing-key.json'),
        LIFESPAN_LOCAL_KEY_ALG: CONFIG.localKeyAlgorithm,
        LIFESPAN_PARAMETERS: 'file',
        LIFESPAN_PARAMETERS_FILE: parametersFile,
        LIFESPAN_ADMIN_AUTH: 'token',
        LIFESPAN_ADMIN_TOKEN: ADMIN_TOKEN,
        LIFESPAN_SUCCESSOR_KEY_FILE: join(dir, 'successor-key'),
        // The AWS defaults (functions/runtime/environment.ts), not `npm start`'s quicker ones.
        LIFESPAN_PARAMETERS_CACHE_SECONDS: '30',
        LIFESPAN_LOGIN_URL: `${issuer}/login`,
        LIFESPAN_DEVICE_VERIFICATION_URL: `${issuer}/device`,
    };
    const server = await startLocalServer({
      port,
      // In AWS the rotation history is another function reading the stream later; here it would
      // share the one DynamoDB Local (and these two cores) with the requests being timed.
      rotationHistory: false,
      environment,
    });
    // The load generator keeps its connections across phases, as a load balancer would; node's
    // 5 s default idle timeout could close one just as a request goes out on it.
    server.server.keepAliveTimeout = 10 * 60_000;
    return {
      dir,
      dynamo,
      tableName: TABLE,
      db,
      server,
      url: server.url,
      // The token function's Lambda entry, built from the same environment as the server's.
      tokenHandler: async () => ((await import('../functions/handlers/token.ts')) as { handler: LambdaEntry }).handler,
      kmsLikeTokenHandler: (signMs) => kmsLikeTokenHandler(environment, signMs),
      logLines: output.lines,
      async stop() {
        await server.close();
        db.destroy();
        output.restore();
        printer = (text) => void process.stdout.write(text);
        await dynamo.stop();
        process.removeListener('exit', stopEmulator);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    diverted?.restore();
    printer = (text) => void process.stdout.write(text);
    stopEmulator();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
