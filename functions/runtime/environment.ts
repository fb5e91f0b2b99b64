/**
 * The functions' configuration, read from environment variables once at cold start and
 * validated: a missing or malformed variable stops the function with its name, instead of
 * running on a silent default.
 */
import { secureUrl } from '../http/urls.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export class EnvironmentError extends Error {
  constructor(variable: string, problem: string) {
    super(`environment variable ${variable} ${problem}`);
    this.name = 'EnvironmentError';
  }
}

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new EnvironmentError(name, 'is required');
  return value.trim();
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback?: T): T {
  const value = env[name] ?? fallback;
  if (value === undefined || !(values as readonly string[]).includes(value)) {
    throw new EnvironmentError(name, `must be one of ${values.join(', ')}`);
  }
  return value as T;
}

/** An absolute https URL (http only on a loopback address). */
function checkedUrl(name: string, value: string): URL {
  const checked = secureUrl(value);
  if ('problem' in checked) throw new EnvironmentError(name, checked.problem);
  return checked.url;
}

export interface CoreEnvironment {
  /** Names the SSM prefix `/lifespan/<stage>/` and the metrics dimension. */
  readonly stage: string;
  /** The `iss` of every token: https, no query or fragment, no trailing slash. */
  readonly issuer: string;
}

/** `LIFESPAN_STAGE` alone, for a function that issues nothing (the rotation history's metrics). */
export function readStage(env: Env): string {
  const stage = required(env, 'LIFESPAN_STAGE');
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(stage)) throw new EnvironmentError('LIFESPAN_STAGE', 'must match [a-z0-9-] (1–32)');
  return stage;
}

export function readCoreEnvironment(env: Env): CoreEnvironment {
  const stage = readStage(env);
  const issuer = required(env, 'LIFESPAN_ISSUER');
  const url = checkedUrl('LIFESPAN_ISSUER', issuer);
  if (url.search || url.hash || issuer.endsWith('/')) {
    throw new EnvironmentError('LIFESPAN_ISSUER', 'must have no query, fragment or trailing slash');
  }
  return { stage, issuer };
}

export interface StoreEnvironment {
  readonly tableName: string;
  /** DynamoDB Local's endpoint in local mode; absent in AWS. */
  readonly endpoint?: string;
}

export function readStoreEnvironment(env: Env): StoreEnvironment {
  const tableName = required(env, 'LIFESPAN_TABLE');
  const endpoint = env['LIFESPAN_DYNAMODB_ENDPOINT'];
  return endpoint ? { tableName, endpoint } : { tableName };
}

export type SignerEnvironment =
  | { readonly kind: 'kms'; readonly activeKeyId: string; readonly publishedKeyIds: readonly string[] }
  | { readonly kind: 'local'; readonly keyFile: string; readonly algorithm: 'RS256' | 'ES256' };

export function readSignerEnvironment(env: Env): SignerEnvironment {
  const kind = oneOf(env, 'LIFESPAN_SIGNER', ['kms', 'local'] as const, 'kms');
  if (kind === 'local') {
    return {
      kind,
      keyFile: required(env, 'LIFESPAN_LOCAL_KEY_FILE'),
      algorithm: oneOf(env, 'LIFESPAN_LOCAL_KEY_ALG', ['RS256', 'ES256'] as const, 'RS256'),
    };
  }
  const publishedKeyIds = (env['LIFESPAN_KMS_PUBLISHED_KEY_IDS'] ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  return { kind, activeKeyId: required(env, 'LIFESPAN_KMS_KEY_ID'), publishedKeyIds };
}

export type ParametersEnvironment = (
  | { readonly kind: 'ssm' }
  | { readonly kind: 'file'; readonly file: string }
) & {
  /** How long a loaded configuration is used before the source is read again (≤ 60 s). */
  readonly maxAgeMs: number;
};

export function readParametersEnvironment(env: Env): ParametersEnvironment {
  const kind = oneOf(env, 'LIFESPAN_PARAMETERS', ['ssm', 'file'] as const, 'ssm');
  const raw = env['LIFESPAN_PARAMETERS_CACHE_SECONDS'] ?? '30';
  if (!/^\d{1,2}$/.test(raw) || Number(raw) < 1 || Number(raw) > 60) {
    throw new EnvironmentError('LIFESPAN_PARAMETERS_CACHE_SECONDS', 'must be a whole number of seconds from 1 to 60');
  }
  const maxAgeMs = Number(raw) * 1000;
  return kind === 'file' ? { kind, file: required(env, 'LIFESPAN_PARAMETERS_FILE'), maxAgeMs } : { kind, maxAgeMs };
}

export type AdminEnvironment = { readonly kind: 'iam' } | { readonly kind: 'token'; readonly token: string };

/** The shortest admin bearer token accepted (local mode): 32 characters of a random token are ≥ 190 bits. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

export function readAdminEnvironment(env: Env): AdminEnvironment {
  const kind = oneOf(env, 'LIFESPAN_ADMIN_AUTH', ['iam', 'token'] as const, 'iam');
  if (kind === 'iam') return { kind };
  const token = required(env, 'LIFESPAN_ADMIN_TOKEN');
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new EnvironmentError('LIFESPAN_ADMIN_TOKEN', `must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters`);
  }
  return { kind, token };
}

export type SuccessorEnvironment =
  | { readonly kind: 'kms'; readonly macKeyId: string }
  | { readonly kind: 'local'; readonly keyFile: string };

/**
 * The server-held key that derives refresh-token successors and keys device user codes (one
 * derived key per use): a KMS HMAC key, or a local file.
 */
export function readSuccessorEnvironment(env: Env): SuccessorEnvironment {
  const kind = oneOf(env, 'LIFESPAN_SIGNER', ['kms', 'local'] as const, 'kms');
  return kind === 'kms'
    ? { kind, macKeyId: required(env, 'LIFESPAN_KMS_MAC_KEY_ID') }
    : { kind, keyFile: required(env, 'LIFESPAN_SUCCESSOR_KEY_FILE') };
}

/** An absolute https URL (http only on a loopback address) a browser is sent to. */
function browserUrl(env: Env, name: string): string {
  const value = required(env, name);
  checkedUrl(name, value);
  return value;
}

/** Where `/authorize` sends the browser to log in (the deployer's login app). */
export function readLoginUrl(env: Env): string {
  return browserUrl(env, 'LIFESPAN_LOGIN_URL');
}

/** Where a device tells its user to enter the user code (RFC 8628 `verification_uri`: the login app's device page). */
export function readDeviceVerificationUrl(env: Env): string {
  const value = browserUrl(env, 'LIFESPAN_DEVICE_VERIFICATION_URL');
  if (value.includes('#')) throw new EnvironmentError('LIFESPAN_DEVICE_VERIFICATION_URL', 'must have no fragment');
  return value;
}

export type EventsEnvironment =
  | { readonly kind: 'eventbridge'; readonly bus: string }
  | { readonly kind: 'file'; readonly file: string; readonly url?: string };

/**
 * Where the events function publishes: an EventBridge bus (`LIFESPAN_EVENT_BUS`, its name or ARN)
 * in AWS; locally (`LIFESPAN_EVENTS=file`) the file `LIFESPAN_EVENTS_FILE`, and each event also
 * POSTed to `LIFESPAN_EVENTS_URL` when set.
 */
export function readEventsEnvironment(env: Env): EventsEnvironment {
  const kind = oneOf(env, 'LIFESPAN_EVENTS', ['eventbridge', 'file'] as const, 'eventbridge');
  if (kind === 'eventbridge') return { kind, bus: required(env, 'LIFESPAN_EVENT_BUS') };
  const file = required(env, 'LIFESPAN_EVENTS_FILE');
  const url = env['LIFESPAN_EVENTS_URL']?.trim();
  if (url === undefined || url === '') return { kind, file };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new EnvironmentError('LIFESPAN_EVENTS_URL', 'must be an absolute URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new EnvironmentError('LIFESPAN_EVENTS_URL', 'must be an http or https URL');
  return { kind, file, url };
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  return oneOf(env, name, ['true', 'false'] as const, fallback ? 'true' : 'false') === 'true';
}

/** `LIFESPAN_SECURITY_EVENT_TOKENS`: a signed SET (RFC 8417) in each event's detail. @default false */
export function readSecurityEventTokens(env: Env): boolean {
  return flag(env, 'LIFESPAN_SECURITY_EVENT_TOKENS', false);
}

/** `LIFESPAN_ROTATION_HISTORY`: the events function also keeps every rotation for the family timeline. @default true */
export function readRotationHistory(env: Env): boolean {
  return flag(env, 'LIFESPAN_ROTATION_HISTORY', true);
}
