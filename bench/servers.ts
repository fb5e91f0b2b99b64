import { fork } from 'node:child_process';
import type { JWK } from 'jose';

/** A client's credentials (client_secret_basic). */
export interface Credentials {
  readonly client_id: string;
  readonly client_secret: string;
}

/** What a server child makes ready before the measurement. */
export interface Fixtures {
  readonly url: string;
  /** The client that holds the refresh tokens. */
  readonly app: Credentials;
  /** The client_credentials client. */
  readonly api: Credentials;
  /** Refresh tokens of distinct families, each to be rotated by one request at a time. */
  readonly refreshTokens: string[];
  /** Families bound to `dpopKey` (Lifespan). */
  readonly dpopRefreshTokens?: string[];
  /** The private JWK whose proofs the bound families need. */
  readonly dpopKey?: JWK;
  /** Families the DynamoDB floor rotates (Lifespan), and the table they are in. */
  readonly floorTokens?: string[];
  readonly tableName?: string;
  close(): Promise<void>;
}

export type Reported = Omit<Fixtures, 'close'>;

/** A server running in a child process of its own, so its CPU is its own. */
export interface ServerProcess {
  readonly fixtures: Reported;
  /** The child's CPU time so far (user + system, all its threads: libuv's pool included), µs. */
  cpuUs(): Promise<number>;
  stop(): Promise<void>;
}

export type ServerOptions = { readonly kind: 'lifespan'; readonly dynamoDbEndpoint: string; readonly families: number } | { readonly kind: 'peer'; readonly families: number };

type Message = { type: 'ready'; fixtures: Reported } | { type: 'cpu'; id: number; cpuUs: number } | { type: 'failed'; error: string };

/**
 * Forks bench/server-process.ts with `options`. The same method for every server: the child
 * reports `process.cpuUsage()` over IPC when asked, before and after each slice.
 */
export function startServer(options: ServerOptions): Promise<ServerProcess> {
  const child = fork(new URL('./server-process.ts', import.meta.url), [JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const waiting = new Map<number, (cpuUs: number) => void>();
  let next = 0;
  return new Promise((resolve, reject) => {
    const exited = (code: number | null) => reject(new Error(`the ${options.kind} server exited (${code}) before it was ready:\n${output}`));
    child.once('exit', exited);
    child.on('message', (message: Message) => {
      if (message.type === 'failed') reject(new Error(`the ${options.kind} server failed: ${message.error}\n${output}`));
      if (message.type === 'cpu') waiting.get(message.id)?.(message.cpuUs);
      if (message.type !== 'ready') return;
      child.off('exit', exited);
      resolve({
        fixtures: message.fixtures,
        cpuUs: () =>
          new Promise((answer) => {
            const id = (next += 1);
            waiting.set(id, (cpuUs) => {
              waiting.delete(id);
              answer(cpuUs);
            });
            child.send({ type: 'cpu', id });
          }),
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.send({ type: 'stop' });
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      });
    });
  });
}
