/**
 * Knobs of `npm run bench`, from the environment so a slow machine (or a quick look) can
 * shorten the run without editing code. Defaults keep the whole run under 5 minutes on 2 cores.
 */
function seconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 600) throw new TypeError(`${name} must be a number of seconds in (0, 600], not ${raw}`);
  return value;
}

function whole(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new TypeError(`${name} must be a whole number in [1, ${max}], not ${raw}`);
  return value;
}

export const CONFIG = {
  /** Measured part of every load run (service and floor alike). */
  runMs: seconds('BENCH_SECONDS', 8) * 1000,
  /** Slices each measured run is split into, alternating with the runs it is compared to. */
  rounds: whole('BENCH_ROUNDS', 8, 100),
  /** Unmeasured lead-in of every load run (JIT, sockets, caches). */
  warmupMs: seconds('BENCH_WARMUP_SECONDS', 1) * 1000,
  concurrencies: [1, 16] as const,
  /**
   * Refresh-token families the refresh load rotates. refresh_rate_limit allows at most 20
   * rotations of one family per 2 s even with the smallest window, so each worker owns
   * `families / concurrency` families and rotates them in turn (each family's chain stays sequential).
   */
  families: whole('BENCH_FAMILIES', 192, 4096),
  /** Authorization codes per code-exchange run (plus its warm-up); the run stops earlier at `runMs`. */
  codesPerRun: { 1: whole('BENCH_CODES_C1', 700, 100_000), 16: whole('BENCH_CODES_C16', 1500, 100_000) } as Record<number, number>,
  /** Fresh node processes per bundle for the cold-import median. */
  coldRuns: whole('BENCH_COLD_RUNS', 7, 99),
  /** Requests per grant and algorithm in the CPU batch. */
  cpuBatch: whole('BENCH_CPU_BATCH', 500, 100_000),
  /**
   * The local server's signing key for the load runs. In AWS a signature is a KMS network call
   * that costs the function no CPU; a local RSA key would put ~250 µs of CPU per token on the
   * service's side of the ratio that AWS never pays, so the load runs sign with a local P-256
   * key (~23 µs) by default. The CPU table measures both; BENCH_LOCAL_KEY_ALG=RS256 switches.
   */
  localKeyAlgorithm: process.env['BENCH_LOCAL_KEY_ALG'] === 'RS256' ? ('RS256' as const) : ('ES256' as const),
  /** Sequential samples per operation when counting DynamoDB calls. */
  callSamples: whole('BENCH_CALL_SAMPLES', 5, 100),
} as const;

/** The targets of issue 6, checked at the end of every run. */
export const TARGETS = {
  refreshFloorRatio: 0.7,
  /**
   * The family read, the markers read (beside the signature), then the one conditional write:
   * sign before the write (README, "When AWS misbehaves"), revocations seen at once.
   */
  refreshCalls: 3,
  /**
   * A budget against whole SDK chains slipping in (the default credential chain alone was +200 KB),
   * not against the protocol: 400 KB until DPoP, whose proof checks (jose's embedded-key import
   * and thumbprint, the checks, nonces, the replay record) added about 9 KB.
   */
  tokenBundleBytes: 430 * 1024,
  tokenColdImportMs: 150,
} as const;

export const LOGIN_URL = 'https://login.example.com/login';
