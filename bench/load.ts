import autocannon from 'autocannon';

/** One measured slice of one contender. */
export interface Slice {
  readonly requests: number;
  readonly ms: number;
  /** Per response, ms (autocannon's own histogram keeps whole milliseconds only). */
  readonly latencies: number[];
  /** The server's CPU during the slice, µs (servers in a child process only). */
  readonly cpuUs?: number;
  /** DynamoDB Local's CPU during the slice, µs (where it serves the contender). */
  readonly dynamoDbCpuUs?: number;
}

/** Where a contender's CPU is read: its server process, and DynamoDB Local's JVM when it uses it. */
export interface CpuReaders {
  readonly server?: () => Promise<number>;
  readonly dynamoDb?: () => number;
}

/** A load to compare: `slice` sends `amount` requests, `concurrency` at a time, and throws if any failed. */
export interface Contender {
  readonly name: string;
  slice(amount: number, concurrency: number): Promise<Slice>;
}

/** What one request of a slice sends, and what its answer must be. */
export interface RequestPlan {
  /**
   * Called once per request; returns its form body and headers, and what to do with the answer:
   * `answered` gets the JSON of a 200 (and throws if it is not the expected success), or
   * undefined when the request failed.
   */
  next(): { readonly body: string; readonly headers?: Record<string, string>; readonly answered?: Answered };
  /** Called before each slice with its request count (to make per-request material, such as DPoP proofs). */
  prepare?(amount: number): Promise<void>;
}

export type Answered = (json: Record<string, unknown> | undefined) => void;

/** A failed request: the slice stops being counted and the bench fails with it. */
export class RequestFailed extends Error {}

/**
 * `amount` POSTs to `url`/token from autocannon (one keep-alive connection per concurrent request), the
 * server's CPU read before and after. A count rather than a duration, so no request is cut off in
 * flight: a refresh whose answer was lost would burn its family. Any answer but 200 fails the run.
 */
export function autocannonContender(name: string, url: string, cpu: CpuReaders, plan: RequestPlan): Contender {
  return {
    name,
    async slice(amount, concurrency) {
      await plan.prepare?.(amount);
      let failure: Error | undefined;
      const request: autocannon.Request = {
        method: 'POST',
        path: '/token',
        setupRequest: (req, context) => {
          const { body, headers, answered } = plan.next();
          (context as { answered?: Answered }).answered = answered;
          return { ...req, body, headers: { ...req.headers, 'content-type': 'application/x-www-form-urlencoded', ...headers } };
        },
        onResponse: (status, body, context) => {
          const { answered } = context as { answered?: Answered };
          if (status !== 200) {
            failure ??= new RequestFailed(`${name}: ${status} ${body.slice(0, 300)}`);
            answered?.(undefined);
            return;
          }
          try {
            answered?.(JSON.parse(body) as Record<string, unknown>);
          } catch (error) {
            failure ??= error instanceof Error ? error : new Error(String(error));
          }
        },
      };
      const latencies: number[] = [];
      const before = { server: await cpu.server?.(), dynamoDb: cpu.dynamoDb?.() };
      const started = performance.now();
      let last = started;
      const result = await new Promise<autocannon.Result>((resolve, reject) => {
        // sampleInt: autocannon notices the end at its next sample; 1 s by default.
        const instance = autocannon({ url, connections: concurrency, amount, timeout: 10, sampleInt: 10, requests: [request] }, (error, done) => (error ? reject(error) : resolve(done)));
        instance.on('response', (_client, _status, _bytes, responseTime) => {
          latencies.push(responseTime);
          last = performance.now();
        });
      });
      const ms = last - started;
      const used = usedSince(cpu, before, await cpu.server?.());
      if (failure) throw failure;
      if (result.errors || result.timeouts || result.non2xx || latencies.length !== amount) {
        throw new RequestFailed(`${name}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx, ${latencies.length} of ${amount} answered`);
      }
      return { requests: amount, ms, latencies, ...used };
    },
  };
}

/** A load made in this process (the DynamoDB floor): `concurrency` loops of `op`; `cpu.server` reads this process. */
export function inProcessContender(name: string, cpu: CpuReaders, op: () => Promise<void>): Contender {
  return {
    name,
    async slice(amount, concurrency) {
      const latencies: number[] = [];
      const before = { server: await cpu.server?.(), dynamoDb: cpu.dynamoDb?.() };
      let issued = 0;
      const started = performance.now();
      const loop = async () => {
        while (issued < amount) {
          issued += 1;
          const t0 = performance.now();
          await op();
          latencies.push(performance.now() - t0);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, loop));
      const ms = performance.now() - started;
      return { requests: amount, ms, latencies, ...usedSince(cpu, before, await cpu.server?.()) };
    },
  };
}

function usedSince(cpu: CpuReaders, before: { server?: number | undefined; dynamoDb?: number | undefined }, server: number | undefined) {
  return {
    ...(server !== undefined && before.server !== undefined && { cpuUs: server - before.server }),
    ...(cpu.dynamoDb && before.dynamoDb !== undefined && { dynamoDbCpuUs: cpu.dynamoDb() - before.dynamoDb }),
  };
}

/** The slices of each contender, in the order they ran. */
export type Measured = Map<string, Slice[]>;

/**
 * Measures contenders that are to be compared in alternating slices — A B C, B C A, C A B, … —
 * rather than one after the other, so drift on a shared machine (JIT, a neighbour's burst,
 * DynamoDB Local's JVM) falls on all of them alike. Each contender first runs `warmup(name)`
 * requests unmeasured; a slice's request count follows the contender's rate so far, so slices
 * last about `sliceMs` each.
 */
export async function alternate(
  contenders: readonly Contender[],
  options: { readonly concurrency: number; readonly rounds: number; readonly sliceMs: number; readonly warmup: (name: string) => number },
): Promise<Measured> {
  const rate = new Map<string, number>();
  const measured: Measured = new Map(contenders.map((contender) => [contender.name, []]));
  for (const contender of contenders) {
    const warm = await contender.slice(Math.max(options.concurrency, options.warmup(contender.name)), options.concurrency);
    rate.set(contender.name, warm.requests / warm.ms);
  }
  for (let round = 0; round < options.rounds; round += 1) {
    for (let index = 0; index < contenders.length; index += 1) {
      const contender = contenders[(index + round) % contenders.length]!;
      const amount = Math.max(4 * options.concurrency, Math.round(rate.get(contender.name)! * options.sliceMs));
      const slice = await contender.slice(amount, options.concurrency);
      const slices = measured.get(contender.name)!;
      slices.push(slice);
      rate.set(contender.name, median(slices.map(throughputOf)) / 1000);
    }
  }
  return measured;
}

export const throughputOf = (slice: Slice): number => (slice.requests * 1000) / slice.ms;

/** Nearest-rank percentile of unsorted samples (0 < p ≤ 100). */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? Number.NaN;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

export const round = (value: number, digits = 1): number => Number(value.toFixed(digits));
