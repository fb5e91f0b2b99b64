import { percentile, round } from './stats.ts';

/** One closed-loop load run: `concurrency` workers, each sending its next request when the last one answered. */
export interface LoadOptions {
  readonly concurrency: number;
  /** Unmeasured lead-in. */
  readonly warmupMs: number;
  /** Measured part; the run also ends when `maxOps` requests were measured. */
  readonly durationMs: number;
  readonly maxOps?: number;
  /** At most this many warm-up requests (for runs that consume what they send, like codes). */
  readonly warmupMaxOps?: number;
  /** Called between the warm-up and the measured part. */
  readonly onMeasureStart?: () => void;
  /** One request of worker `worker`; it throws when the answer is not the expected success. */
  readonly op: (worker: number) => Promise<void>;
}

export interface LoadResult {
  readonly concurrency: number;
  readonly ops: number;
  readonly seconds: number;
  /** Completed requests per second. */
  readonly throughput: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** CPU of this node process (service, load generator and SDK; not DynamoDB Local) per request. */
  readonly cpuMsPerOp: number;
}

async function phase(
  options: Pick<LoadOptions, 'concurrency' | 'op'>,
  durationMs: number,
  maxOps: number,
  latencies: number[] | undefined,
): Promise<{ ops: number; ms: number }> {
  const started = performance.now();
  const deadline = started + durationMs;
  let issued = 0;
  let completed = 0;
  let failure: unknown;
  const worker = async (index: number) => {
    while (failure === undefined && issued < maxOps && performance.now() < deadline) {
      issued += 1;
      const t0 = performance.now();
      try {
        await options.op(index);
      } catch (error) {
        // Fail loudly: an error is never counted as a request served.
        failure ??= error;
        return;
      }
      latencies?.push(performance.now() - t0);
      completed += 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => worker(index)));
  if (failure !== undefined) throw failure;
  return { ops: completed, ms: performance.now() - started };
}

/**
 * Runs the warm-up, then the measured phase. Any failed request rejects the whole run with
 * that request's error (after the other workers finish their request in flight).
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const maxOps = options.maxOps ?? Number.POSITIVE_INFINITY;
  if (options.warmupMs > 0) await phase(options, options.warmupMs, options.warmupMaxOps ?? Number.POSITIVE_INFINITY, undefined);
  options.onMeasureStart?.();
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const { ops, ms } = await phase(options, options.durationMs, maxOps, latencies);
  const cpu = process.cpuUsage(cpuBefore);
  if (ops === 0) throw new Error('the load run completed no request');
  return {
    concurrency: options.concurrency,
    ops,
    seconds: round(ms / 1000, 2),
    throughput: round((ops * 1000) / ms, 1),
    p50Ms: round(percentile(latencies, 50), 2),
    p99Ms: round(percentile(latencies, 99), 2),
    maxMs: round(Math.max(...latencies), 2),
    cpuMsPerOp: round((cpu.user + cpu.system) / 1000 / ops, 3),
  };
}

/** One of the loads {@link runInterleaved} compares. */
export interface Contender {
  readonly name: string;
  readonly op: (worker: number) => Promise<void>;
  /** Measured requests in all (spread over the rounds), for runs that consume what they send. */
  readonly maxOps?: number;
  /** At most this many warm-up requests. */
  readonly warmupMaxOps?: number;
}

export interface InterleavedOptions {
  readonly concurrency: number;
  /** Unmeasured lead-in of each contender, before the first round. */
  readonly warmupMs: number;
  /** Measured time of each contender, split into `rounds` slices. */
  readonly durationMs: number;
  readonly rounds: number;
  readonly contenders: readonly Contender[];
  /** Called before and after each measured slice (to count DynamoDB calls per contender). */
  readonly onSliceStart?: (name: string) => void;
  readonly onSliceEnd?: (name: string) => void;
}

/**
 * Measures several loads that are to be compared (the service and its floor) in alternating
 * slices — A B C, B C A, C A B, … — rather than one after the other, so drift on a shared
 * machine (JIT warming in node and in DynamoDB Local's JVM, a neighbour's burst, a table
 * growing) falls on all of them alike instead of on whichever ran first. Each contender's
 * result sums its slices.
 */
export async function runInterleaved(options: InterleavedOptions): Promise<Map<string, LoadResult>> {
  const { contenders, rounds } = options;
  if (rounds < 1 || contenders.length === 0) throw new Error('runInterleaved needs at least one round and one contender');
  const totals = new Map(contenders.map((contender) => [contender.name, { ops: 0, ms: 0, cpuUs: 0, latencies: [] as number[] }]));
  for (const contender of contenders) {
    if (options.warmupMs > 0) {
      await phase({ concurrency: options.concurrency, op: contender.op }, options.warmupMs, contender.warmupMaxOps ?? Number.POSITIVE_INFINITY, undefined);
    }
  }
  const sliceMs = options.durationMs / rounds;
  for (let round = 0; round < rounds; round += 1) {
    for (let index = 0; index < contenders.length; index += 1) {
      const contender = contenders[(index + round) % contenders.length]!;
      const total = totals.get(contender.name)!;
      // The budget spread over the rounds, never more than it in all.
      const maxOps =
        contender.maxOps === undefined
          ? Number.POSITIVE_INFINITY
          : Math.floor(contender.maxOps / rounds) + (round < contender.maxOps % rounds ? 1 : 0);
      options.onSliceStart?.(contender.name);
      const cpuBefore = process.cpuUsage();
      const { ops, ms } = await phase({ concurrency: options.concurrency, op: contender.op }, sliceMs, maxOps, total.latencies);
      const cpu = process.cpuUsage(cpuBefore);
      options.onSliceEnd?.(contender.name);
      total.ops += ops;
      total.ms += ms;
      total.cpuUs += cpu.user + cpu.system;
    }
  }
  const results = new Map<string, LoadResult>();
  for (const [name, total] of totals) {
    if (total.ops === 0) throw new Error(`the ${name} load completed no request`);
    results.set(name, {
      concurrency: options.concurrency,
      ops: total.ops,
      seconds: round(total.ms / 1000, 2),
      throughput: round((total.ops * 1000) / total.ms, 1),
      p50Ms: round(percentile(total.latencies, 50), 2),
      p99Ms: round(percentile(total.latencies, 99), 2),
      maxMs: round(total.latencies.reduce((max, value) => Math.max(max, value), 0), 2),
      cpuMsPerOp: round(total.cpuUs / 1000 / total.ops, 3),
    });
  }
  return results;
}
