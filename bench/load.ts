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

async function phase(options: LoadOptions, durationMs: number, maxOps: number, latencies: number[] | undefined): Promise<{ ops: number; ms: number }> {
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
