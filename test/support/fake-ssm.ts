import {
  AccessDeniedException,
  GetParametersByPathCommand,
  InternalServerError,
  InvalidNextToken,
  ParameterAlreadyExists,
  PutParameterCommand,
  ThrottlingException,
  ValidationException,
  type GetParametersByPathCommandOutput,
  type Parameter,
  type PutParameterCommandInput,
  type PutParameterCommandOutput,
} from '@aws-sdk/client-ssm';
import { randomUUID } from 'node:crypto';
import type { LifetimesSsmClient } from '../../cli/lifetimes/ssm.ts';
import { AWS_CALL_BUDGETS } from '../../functions/runtime/aws-clients.ts';
import { CueList, delay, Hangs, likeRealClient, requestTimeoutError, type FaultCue } from './fault-cues.ts';

/**
 * How a faked SSM call fails, with the exception class @aws-sdk/client-ssm models for it:
 * - `throttle`: `ThrottlingException` (400), what a burst of cold starts meets.
 * - `access_denied`: `AccessDeniedException` (400), IAM refusing the call: not transient.
 * - `internal`: `InternalServerError` (500).
 * - `timeout`: waits `delayMs`, then rejects as the SDK's request timeout does (`TimeoutError`).
 * - `hang`: never settles until {@link FakeSsm.clearFaults}, then answers as SSM would.
 */
export type SsmFaultMode = 'throttle' | 'access_denied' | 'internal' | 'timeout' | 'hang';

export type SsmOperation = 'GetParametersByPath' | 'PutParameter';

/** A cue of {@link FakeSsm.fail}. */
export interface SsmFault {
  readonly mode: SsmFaultMode;
  /** @default both operations */
  readonly operation?: SsmOperation;
  /** How many calls it fails (each page is a call; each retry of `translateUnavailable` too). @default every call until cleared */
  readonly times?: number;
  /** How long `timeout` waits before rejecting. @default 10 */
  readonly delayMs?: number;
}

/** Options of {@link FakeSsm}. */
export interface FakeSsmOptions {
  /**
   * Behave like `ssmClient()` (functions/runtime/aws-clients.ts) rather than a bare SDK client:
   * a transient error is retried up to `AWS_CALL_BUDGETS.ssm.maxAttempts` attempts in all (no
   * backoff) and what is left becomes `asUnavailable(error, 'SSM')`: 503 `temporarily_unavailable`.
   * @default false
   */
  readonly translateUnavailable?: boolean;
}

interface StoredParameter {
  value: string;
  type: string;
  version: number;
}

const MODES: ReadonlySet<string> = new Set<SsmFaultMode>(['throttle', 'access_denied', 'internal', 'timeout', 'hang']);
const DEFAULT_TIMEOUT_DELAY_MS = 10;
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';

/** The NextToken the fake answers for a page starting at `offset` (opaque to the caller, as SSM's). */
export function pageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

/**
 * An in-memory Parameter Store answering Lifespan's two calls the way SSM does:
 * GetParametersByPath pages of at most 10 with an opaque NextToken (recursive or not);
 * PutParameter requires a Type for a new parameter, refuses to replace one without Overwrite,
 * and bumps the version. Every call is recorded, accepted or not. Fails on cue ({@link fail})
 * with SSM's own exceptions. Used by the CLI's tests and the functions' SSM adapter tests alike.
 *
 * @example
 * const ssm = new FakeSsm({ '/lifespan/prod/access_token_ttl': '600' }, { translateUnavailable: true });
 * ssm.fail({ mode: 'throttle', times: 2 });
 * await expect(new SsmParameterSource({ client: ssm, stage: 'prod' }).load()).rejects.toBeInstanceOf(TemporarilyUnavailable);
 */
export class FakeSsm implements LifetimesSsmClient {
  readonly parameters = new Map<string, StoredParameter>();
  readonly puts: PutParameterCommandInput[] = [];
  readonly reads: Array<GetParametersByPathCommand['input']> = [];
  /** Reads (0-based, in {@link reads}) answered empty but with a NextToken, as SSM sometimes does. */
  readonly emptyPages = new Set<number>();
  readonly #cues = new CueList<SsmOperation, SsmFault>();
  readonly #hangs = new Hangs();
  readonly #translateUnavailable: boolean;

  constructor(initial: Record<string, string> = {}, options: FakeSsmOptions = {}) {
    for (const [name, value] of Object.entries(initial)) this.set(name, value);
    this.#translateUnavailable = options.translateUnavailable ?? false;
  }

  /** Stores a parameter directly (a new version if it exists), as an operator's console edit would. */
  set(name: string, value: string, type = 'String'): void {
    this.parameters.set(name, { value, type, version: (this.parameters.get(name)?.version ?? 0) + 1 });
  }

  /** The stored values, by full name. */
  values(): Record<string, string> {
    return Object.fromEntries([...this.parameters].map(([name, { value }]) => [name, value]));
  }

  /** Makes calls fail, the next `times` of them or until {@link clearFaults}. */
  fail(fault: SsmFault): FaultCue {
    if (!MODES.has(fault.mode)) throw new TypeError(`unknown SSM fault mode ${String(fault.mode)}`);
    if (fault.delayMs !== undefined && !(fault.delayMs >= 0)) throw new TypeError('delayMs must be a number of milliseconds');
    const { operation } = fault;
    return this.#cues.add(fault, (request) => operation === undefined || request === operation);
  }

  /** Withdraws every cue; calls held by `hang` go on and are answered. */
  clearFaults(): void {
    this.#cues.clear();
    this.#hangs.release();
  }

  /** Calls held by `hang` right now. */
  get hanging(): number {
    return this.#hangs.size;
  }

  send(command: GetParametersByPathCommand): Promise<GetParametersByPathCommandOutput>;
  send(command: PutParameterCommand): Promise<PutParameterCommandOutput>;
  async send(command: GetParametersByPathCommand | PutParameterCommand): Promise<GetParametersByPathCommandOutput | PutParameterCommandOutput> {
    if (!(command instanceof GetParametersByPathCommand || command instanceof PutParameterCommand)) throw new Error('FakeSsm: unexpected command');
    if (!this.#translateUnavailable) return this.#attempt(command);
    return likeRealClient('SSM', AWS_CALL_BUDGETS.ssm.maxAttempts, () => this.#attempt(command));
  }

  async #attempt(command: GetParametersByPathCommand | PutParameterCommand): Promise<GetParametersByPathCommandOutput | PutParameterCommandOutput> {
    if (command instanceof PutParameterCommand) {
      this.puts.push(command.input);
      await this.#strike('PutParameter', command.input.Name);
      return this.#put(command.input);
    }
    this.reads.push(command.input);
    await this.#strike('GetParametersByPath', command.input.Path);
    return this.#byPath(command.input, this.reads.length - 1);
  }

  async #strike(operation: SsmOperation, resource: string | undefined): Promise<void> {
    const fault = this.#cues.take(operation);
    switch (fault?.mode) {
      case undefined:
        return;
      case 'throttle':
        throw new ThrottlingException({ $metadata: metadata(400), message: 'Rate exceeded', Message: 'Rate exceeded' });
      case 'access_denied': {
        const message = `User: arn:aws:sts::${ACCOUNT}:assumed-role/lifespan/lifespan is not authorized to perform: ssm:${operation} on resource: arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${resource ?? ''} because no identity-based policy allows the ssm:${operation} action`;
        throw new AccessDeniedException({ $metadata: metadata(400), message, Message: message });
      }
      case 'internal':
        throw new InternalServerError({ $metadata: metadata(500), message: 'An internal error occurred.', Message: 'An internal error occurred.' });
      case 'timeout':
        await delay(fault.delayMs ?? DEFAULT_TIMEOUT_DELAY_MS);
        throw requestTimeoutError(AWS_CALL_BUDGETS.ssm.requestTimeoutMs);
      case 'hang':
        return this.#hangs.hold();
    }
  }

  #put(input: PutParameterCommandInput): PutParameterCommandOutput {
    if (!input.Name?.startsWith('/') || input.Value === undefined) throw validation('Name and Value are required');
    const existing = this.parameters.get(input.Name);
    if (existing && !input.Overwrite) {
      throw new ParameterAlreadyExists({ $metadata: metadata(400), message: 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.' });
    }
    const type = input.Type ?? existing?.type;
    if (type === undefined) throw validation('Type is required for a new parameter');
    const version = (existing?.version ?? 0) + 1;
    this.parameters.set(input.Name, { value: input.Value, type, version });
    return { Version: version, Tier: 'Standard', $metadata: { httpStatusCode: 200 } };
  }

  #byPath(input: GetParametersByPathCommand['input'], read: number): GetParametersByPathCommandOutput {
    const pageSize = input.MaxResults ?? 10;
    if (pageSize < 1 || pageSize > 10) throw validation('MaxResults must be between 1 and 10');
    if (!input.Path?.startsWith('/')) throw validation('Path must start with /');
    const path = input.Path.endsWith('/') ? input.Path : `${input.Path}/`;
    const matching: Parameter[] = [...this.parameters]
      .filter(([name]) => name.startsWith(path) && (input.Recursive || !name.slice(path.length).includes('/')))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([Name, { value, type, version }]) => ({ Name, Value: value, Type: type === 'SecureString' ? 'SecureString' : 'String', Version: version }));
    const offset = input.NextToken === undefined ? 0 : offsetOf(input.NextToken);
    if (this.emptyPages.has(read)) return { Parameters: [], NextToken: pageToken(offset), $metadata: { httpStatusCode: 200 } };
    const next = offset + pageSize < matching.length ? pageToken(offset + pageSize) : undefined;
    return { Parameters: matching.slice(offset, offset + pageSize), NextToken: next, $metadata: { httpStatusCode: 200 } };
  }
}

function offsetOf(token: string): number {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString());
    if (typeof parsed === 'object' && parsed !== null && 'offset' in parsed && Number.isInteger(parsed.offset) && (parsed.offset as number) >= 0) {
      return parsed.offset as number;
    }
  } catch {
    // not a token of ours: refused below, as SSM refuses one
  }
  throw new InvalidNextToken({ $metadata: metadata(400), message: 'The specified token is not valid.' });
}

/** An error answer's metadata, as the SDK's deserializer fills it. */
function metadata(httpStatusCode: number) {
  return { httpStatusCode, requestId: randomUUID() };
}

function validation(message: string): ValidationException {
  return new ValidationException({ $metadata: metadata(400), message, Message: message });
}
