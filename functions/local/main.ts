/**
 * `npm start`: Lifespan on this machine. DynamoDB Local keeps its data under `.lifespan/`,
 * a signing key is generated once, lifetimes come from `.lifespan/parameters.json` (the SSM
 * names), and the real Lambda handlers answer on http://127.0.0.1:${PORT:-4000}.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ensureTable } from '../adapters/dynamodb/ensure-table.ts';
import { MIN_ADMIN_TOKEN_LENGTH } from '../runtime/environment.ts';
import { startDynamoDbLocal } from './dynamodb-local.ts';
import { startLocalServer } from './server.ts';

const TABLE = 'lifespan-local';

/** A setting `npm start` cannot run with: reported as one line, before anything has started. */
class StartupError extends Error {}

function readPort(): number {
  const raw = process.env['PORT'] ?? '4000';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) throw new StartupError(`PORT must be a TCP port number, not ${raw}`);
  return port;
}

/**
 * Kept between runs so scripts and curl examples can read it; LIFESPAN_ADMIN_TOKEN wins. Checked
 * here as the admin handler checks it, so a short token stops the start instead of every admin
 * call failing later.
 */
function adminToken(dataDir: string): string {
  const fromEnv = process.env['LIFESPAN_ADMIN_TOKEN']?.trim();
  const file = resolve(dataDir, 'admin-token');
  if (fromEnv) {
    if (fromEnv.length < MIN_ADMIN_TOKEN_LENGTH) {
      throw new StartupError(
        `LIFESPAN_ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (it has ${fromEnv.length}); ` +
          `set a longer one, or unset it to use ${file}`,
      );
    }
    return fromEnv;
  }
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length < MIN_ADMIN_TOKEN_LENGTH) {
      throw new StartupError(
        `${file} must hold an admin token of at least ${MIN_ADMIN_TOKEN_LENGTH} characters (it has ${stored.length}); ` +
          'delete it to have one generated',
      );
    }
    return stored;
  }
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/** A DynamoDB Local left running by a killed (SIGKILL) earlier run would hold the data files. */
function stopStaleEmulator(pidFile: string, dbPath: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (command.includes('DynamoDBLocal') && command.includes(dbPath)) process.kill(pid, 'SIGKILL');
  } catch {
    // Not running (or no /proc): nothing to stop.
  }
  rmSync(pidFile, { force: true });
}

/** LIFESPAN_EVENTS_URL, checked here as the events function checks it, so a typo stops the start. */
function readEventsUrl(): string | undefined {
  const raw = process.env['LIFESPAN_EVENTS_URL']?.trim();
  if (raw === undefined || raw === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new StartupError(`LIFESPAN_EVENTS_URL must be an http or https URL, not ${raw}`);
  }
  return raw;
}

/** What `npm start` runs with, checked before DynamoDB Local or the server starts. */
function settings(): { port: number; dataDir: string; token: string; parametersFile: string; eventsFile: string; eventsUrl: string | undefined } {
  const port = readPort();
  const eventsUrl = readEventsUrl();
  const dataDir = resolve(process.env['LIFESPAN_DATA_DIR'] ?? '.lifespan');
  mkdirSync(resolve(dataDir, 'dynamodb'), { recursive: true });
  const token = adminToken(dataDir);
  const parametersFile = resolve(dataDir, 'parameters.json');
  if (!existsSync(parametersFile)) writeFileSync(parametersFile, '{}\n');
  return { port, dataDir, token, parametersFile, eventsFile: resolve(dataDir, 'events.jsonl'), eventsUrl };
}

async function main(): Promise<void> {
  let checked: ReturnType<typeof settings>;
  try {
    checked = settings();
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    console.error(`lifespan: ${error.message}`);
    process.exit(1);
  }
  const { port, dataDir, token, parametersFile, eventsFile, eventsUrl } = checked;
  const securityEventTokens = process.env['LIFESPAN_SECURITY_EVENT_TOKENS'] === 'true';

  // Signals are caught from the start: one that arrives while DynamoDB Local is still starting
  // is acted on as soon as it is up, instead of killing this process and orphaning the java one.
  let stop = async (code: number): Promise<void> => {
    stopRequested ??= code;
  };
  let stopRequested: number | undefined;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(0));
  // `npm start` runs this under `sh -c`; a SIGTERM to npm ends the shell but not this process,
  // so notice being orphaned and stop, rather than leave a server and a java process behind.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop(0);
  }, 500).unref();

  const pidFile = resolve(dataDir, 'dynamodb.pid');
  stopStaleEmulator(pidFile, resolve(dataDir, 'dynamodb'));
  const dynamo = await startDynamoDbLocal({ dataDir: resolve(dataDir, 'dynamodb') });
  if (dynamo.process.pid !== undefined) writeFileSync(pidFile, `${dynamo.process.pid}\n`);
  let server: Awaited<ReturnType<typeof startLocalServer>> | undefined;
  let stopping = false;
  stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await server?.close();
    await dynamo.stop();
    rmSync(pidFile, { force: true });
    process.exit(code);
  };
  if (stopRequested !== undefined) await stop(stopRequested);
  // Whatever ends this process, the emulator must not outlive it.
  process.on('exit', () => dynamo.process.kill('SIGKILL'));
  dynamo.process.once('exit', (code) => {
    if (!stopping) {
      console.error(`DynamoDB Local exited unexpectedly (code ${code}); stopping.`);
      void stop(1);
    }
  });

  try {
    await ensureTable(
      new DynamoDBClient({
        endpoint: dynamo.endpoint,
        region: 'local',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
      TABLE,
    );
    const issuer = `http://127.0.0.1:${port}`;
    server = await startLocalServer({
      port,
      environment: {
        LIFESPAN_STAGE: 'local',
        LIFESPAN_ISSUER: issuer,
        LIFESPAN_TABLE: TABLE,
        LIFESPAN_DYNAMODB_ENDPOINT: dynamo.endpoint,
        LIFESPAN_SIGNER: 'local',
        LIFESPAN_LOCAL_KEY_FILE: resolve(dataDir, 'signing-key.json'),
        LIFESPAN_LOCAL_KEY_ALG: process.env['LIFESPAN_LOCAL_KEY_ALG'] === 'ES256' ? 'ES256' : 'RS256',
        LIFESPAN_PARAMETERS: 'file',
        LIFESPAN_PARAMETERS_FILE: parametersFile,
        LIFESPAN_ADMIN_AUTH: 'token',
        LIFESPAN_ADMIN_TOKEN: token,
        LIFESPAN_SUCCESSOR_KEY_FILE: resolve(dataDir, 'successor-key'),
        LIFESPAN_PARAMETERS_CACHE_SECONDS: '2',
        LIFESPAN_LOGIN_URL: process.env['LIFESPAN_LOGIN_URL'] ?? `${issuer}/login`,
        LIFESPAN_DEVICE_VERIFICATION_URL: process.env['LIFESPAN_DEVICE_VERIFICATION_URL'] ?? `${issuer}/device`,
        LIFESPAN_EVENTS: 'file',
        LIFESPAN_EVENTS_FILE: eventsFile,
        ...(eventsUrl !== undefined && { LIFESPAN_EVENTS_URL: eventsUrl }),
        ...(securityEventTokens && { LIFESPAN_SECURITY_EVENT_TOKENS: 'true' }),
      },
    });
    console.log(
      [
        `Lifespan (local) is listening on ${server.url}`,
        `  issuer:       ${issuer}`,
        `  discovery:    ${issuer}/.well-known/openid-configuration`,
        `  admin token:  ${token}   (also in ${resolve(dataDir, 'admin-token')})`,
        `  lifetimes:    ${parametersFile}   (SSM names; re-read on change)`,
        `  picture:      ${issuer}/admin/lifetimes.html   (Authorization: Bearer <admin token>)`,
        `  events:       ${eventsFile}${eventsUrl !== undefined ? `   (also POSTed to ${eventsUrl})` : ''}`,
        `  DynamoDB Local ${dynamo.endpoint}, data in ${resolve(dataDir, 'dynamodb')}`,
        'Press Ctrl-C to stop.',
      ].join('\n'),
    );
  } catch (error) {
    console.error(error);
    await stop(1);
  }
}

await main();
