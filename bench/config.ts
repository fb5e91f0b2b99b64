/**
 * Knobs of `npm run bench`, from the environment so a slow machine (or a quick look) can
 * shorten the run without editing code, and the targets it checks. The defaults keep the whole
 * run near three minutes on 2 cores.
 */
function whole(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new TypeError(`${name} must be a whole number in [1, ${max}], not ${raw}`);
  return value;
}

export const CONFIG = {
  /** Rounds of alternating slices per comparison: every contender runs once per round, in rotating order. */
  rounds: whole('BENCH_ROUNDS', 9, 100),
  /** Length of one slice, ms (its request count is set from the contender's rate so far). */
  sliceMs: whole('BENCH_SLICE_MS', 1000, 60_000),
  concurrencies: [1, 16] as const,
  /**
   * Refresh-token families per refresh contender. refresh_rate_limit allows 20 rotations of one
   * family per window, so at ~1,000 refreshes/s 96 families keep each under half of that.
   */
  families: whole('BENCH_FAMILIES', 96, 4096),
  /** The peer has no rate limit; its in-memory adapter keeps 1,000–2,000 entries (an LRU), so fewer families. */
  peerFamilies: whole('BENCH_PEER_FAMILIES', 48, 200),
  /** Fresh node processes per bundle for the cold-import median. */
  coldRuns: whole('BENCH_COLD_RUNS', 5, 99),
  /** Calls per micro-measurement (one signature, one DPoP proof check). */
  microCalls: whole('BENCH_MICRO_CALLS', 500, 100_000),
} as const;

/**
 * Lifetimes the bench sets on Lifespan. The refresh rate limit is kept (the write still carries
 * its condition, as in production) at its loosest: 20 rotations of a family per 1 s window.
 */
export const BENCH_PARAMETERS = { rate_limit_window: 1, refresh_rate_limit: 20 } as const;

/** Checked at the end of every run; `npm run bench` exits 1 when one is missed. */
export const TARGETS = {
  /** Lifespan's refresh over HTTP against its DynamoDB floor (GetItem + BatchGetItem + UpdateItem), c = 1 and 16. */
  refreshFloorRatio: 0.7,
  /** client_credentials at c = 16: Lifespan's throughput over node-oidc-provider's. */
  ccThroughputRatio: 1.0,
  /** client_credentials: Lifespan's server CPU per token over the peer's, c = 1 and 16. */
  ccCpuRatio: 0.85,
  /** refresh: Lifespan's node CPU per request over the peer's, c = 1 and 16. */
  refreshCpuRatio: 1.0,
  /**
   * A budget against whole SDK chains slipping in (the default credential chain alone was +200 KB),
   * not against the protocol: 400 KB until DPoP, whose proof checks (jose's embedded-key import
   * and thumbprint, the checks, nonces, the replay record) added about 9 KB.
   */
  tokenBundleBytes: 430 * 1024,
  tokenColdImportMs: 150,
} as const;
