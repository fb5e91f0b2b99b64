import { asUnavailable, isTransientAwsError } from '../../functions/adapters/aws-errors.ts';

/** A cue in place: how often it has struck, and how to withdraw it. */
export interface FaultCue {
  /** Requests it has failed so far. */
  readonly hits: number;
  /** Requests it will still fail; `undefined` for a cue without `times`. */
  readonly remaining: number | undefined;
  /** Withdraws the cue; requests it holds stay held until the owner's `clear` (or `close`). */
  clear(): void;
}

interface Cue<Request, Fault> {
  readonly fault: Fault;
  readonly selects: (request: Request) => boolean;
  remaining: number | undefined;
  hits: number;
}

/**
 * Cues of a fake or proxy, tried in the order they were set: the first that selects a request
 * strikes it and counts down its `times` (every request until withdrawn when it has none).
 */
export class CueList<Request, Fault extends { readonly times?: number | undefined }> {
  #cues: Array<Cue<Request, Fault>> = [];

  /** Sets a cue; a `times` that is not a positive integer is a caller's mistake (TypeError). */
  add(fault: Fault, selects: (request: Request) => boolean = () => true): FaultCue {
    const { times } = fault;
    if (times !== undefined && !(Number.isInteger(times) && times > 0)) throw new TypeError(`times must be a positive integer, not ${String(times)}`);
    const cue: Cue<Request, Fault> = { fault, selects, remaining: times, hits: 0 };
    this.#cues.push(cue);
    return {
      get hits() {
        return cue.hits;
      },
      get remaining() {
        return cue.remaining;
      },
      clear: () => this.#remove(cue),
    };
  }

  /** The fault that strikes `request`, if a cue selects it. */
  take(request: Request): Fault | undefined {
    const cue = this.#cues.find((candidate) => candidate.selects(request));
    if (cue === undefined) return undefined;
    cue.hits += 1;
    if (cue.remaining !== undefined && --cue.remaining === 0) this.#remove(cue);
    return cue.fault;
  }

  clear(): void {
    this.#cues = [];
  }

  #remove(cue: Cue<Request, Fault>): void {
    this.#cues = this.#cues.filter((other) => other !== cue);
  }
}

/** Calls held by a `hang` cue: pending until released. */
export class Hangs {
  readonly #waiting = new Set<() => void>();

  /** How many calls are held now. */
  get size(): number {
    return this.#waiting.size;
  }

  /** Pending until {@link release}. */
  hold(): Promise<void> {
    return new Promise((resolve) => this.#waiting.add(resolve));
  }

  /** Lets every held call go on. */
  release(): void {
    for (const resolve of this.#waiting) resolve();
    this.#waiting.clear();
  }
}

/** What @smithy/node-http-handler rejects with when `requestTimeout` passes (`throwOnRequestTimeout`). */
export function requestTimeoutError(requestTimeoutMs: number): Error {
  return Object.assign(new Error(`@smithy/node-http-handler - [ERROR] a request has exceeded the configured ${requestTimeoutMs} ms requestTimeout.`), {
    name: 'TimeoutError',
    code: 'ETIMEDOUT',
  });
}

/**
 * Runs `attempt` the way a client from functions/runtime/aws-clients.ts runs a call: a transient
 * error is sent again, up to `maxAttempts` in all (no backoff: tests need not wait), and what is
 * left becomes `asUnavailable(error, service)`, with `$metadata.attempts` as the SDK sets it.
 */
export async function likeRealClient<T>(service: string, maxAttempts: number, attempt: () => Promise<T>): Promise<T> {
  for (let attempts = 1; ; attempts += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (attempts < maxAttempts && isTransientAwsError(error)) continue;
      if (error instanceof Error) {
        const metadata = (error as { $metadata?: Record<string, unknown> }).$metadata ?? {};
        Object.assign(error, { $metadata: { ...metadata, attempts, totalRetryDelay: 0 } });
      }
      throw asUnavailable(error, service);
    }
  }
}

/** Waits `ms` on the real clock (a faked timeout's delay). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
