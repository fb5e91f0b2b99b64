import type { Clock } from '../oauth/clock.ts';
import { TemporarilyUnavailable } from '../oauth/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { checkEntry, crossRuleViolations, groupByScope, rejectionMessage } from './guardrails.ts';
import { defaultValues, isParameterName, parseRelativeName, type LifetimeValues, type ParameterName, type ParameterValue } from './parameters.ts';
import type { ParameterSource } from './source.ts';
import type { SecurityEventRecorder } from '../events/recorder.ts';

/** A configured value the guardrails turned down, and what is in use instead. */
export interface HeldParameter {
  /** Full relative name, e.g. `clients/web/access_token_ttl`. */
  readonly name: string;
  /** The raw value rejected; `undefined` when the change rejected was the parameter's removal. */
  readonly rejected: string | undefined;
  readonly reason: string;
  /**
   * The value kept in use (the last valid one); `undefined` when there is none, so the global
   * default or, for an override, the inherited value applies.
   */
  readonly value: ParameterValue | undefined;
}

/** One rejection of a load: a value, a name, or a change that broke a cross rule. */
export interface Rejection {
  /** Full relative name. */
  readonly name: string;
  readonly raw: string | undefined;
  readonly reason: string;
}

/** The parsed, validated lifetime configuration at one point in time. */
export interface LifetimeSnapshot {
  /** Every parameter's global value: configured, kept by the guardrail, or the default. */
  readonly global: Readonly<LifetimeValues>;
  /** Global parameters whose value comes from the source (or was kept from it) rather than the default. */
  readonly globalConfigured: ReadonlySet<ParameterName>;
  /** Overrides per client id, only the parameters set for it. */
  readonly clients: ReadonlyMap<string, Readonly<Partial<LifetimeValues>>>;
  /** Overrides per audience id, only the parameters set for it. */
  readonly audiences: ReadonlyMap<string, Readonly<Partial<LifetimeValues>>>;
  /** Lifetime profiles by name, only the parameters in use for each (accepted, or kept by the guardrail). */
  readonly profiles: ReadonlyMap<string, Readonly<Partial<LifetimeValues>>>;
  /**
   * Every profile the configuration names (`profiles/<profile>/…`), even one whose every value
   * was rejected: the profiles a login may choose. A login naming any other is refused.
   */
  readonly profileNames: ReadonlySet<string>;
  /** Parameters currently held by the guardrail, by full relative name. */
  readonly held: ReadonlyMap<string, HeldParameter>;
  /** Everything the last load rejected, including unknown names and names set in the wrong scope. */
  readonly rejections: readonly Rejection[];
  /** Clock time (ms) of the load that produced this snapshot. */
  readonly loadedAt: number;
}

/** Outcome of {@link settleParameters}. */
export interface Settlement {
  /** Values in use, by full relative name (absent: default or inherited). */
  readonly accepted: Map<string, ParameterValue>;
  readonly held: Map<string, HeldParameter>;
  readonly rejections: Rejection[];
}

/**
 * Decides what is in use after a load, given the raw values and what was in use before.
 *
 * "Last valid" is kept per full relative name, not for the configuration as a whole: a typo in
 * one parameter holds that parameter at its last valid value (or its default / the inherited
 * value if it never had one) while every other change of the same load takes effect. An
 * operator fixing one value should not find that an unrelated typo froze it.
 *
 * A cross rule broken in some scope reverts the names involved there (the scope's overrides
 * and the global values of the two parameters) to their last valid values: a changed value goes
 * back, a removed one comes back. That always restores the rule, because the previous result
 * satisfied every rule. Should it not (a `previous` that breaks a rule itself), the names go
 * back to their defaults, which satisfy every rule.
 */
export function settleParameters(raw: ReadonlyMap<string, string>, previous: ReadonlyMap<string, ParameterValue>): Settlement {
  const accepted = new Map<string, ParameterValue>();
  const held = new Map<string, HeldParameter>();
  const rejections: Rejection[] = [];
  // How far each name has been walked back: 1 = to its last valid value, 2 = to its default.
  const reverted = new Map<string, 1 | 2>();

  for (const name of [...raw.keys()].sort()) {
    const text = raw.get(name) ?? '';
    const entry = checkEntry(name, text);
    if (entry.ok) {
      accepted.set(name, entry.value);
      continue;
    }
    rejections.push({ name, raw: text, reason: entry.reason });
    if (entry.name === undefined) continue;
    const kept = previous.get(name);
    if (kept !== undefined) accepted.set(name, kept);
    held.set(name, { name, rejected: text, reason: entry.reason, value: kept });
    reverted.set(name, 1);
  }

  const walkBack = (name: string, stage: 1 | 2, reason: string): boolean => {
    reverted.set(name, stage);
    const target = stage === 1 ? previous.get(name) : undefined;
    if (accepted.get(name) === target) return false;
    if (target === undefined) accepted.delete(name);
    else accepted.set(name, target);
    const earlier = held.get(name);
    held.set(name, {
      name,
      rejected: earlier ? earlier.rejected : raw.get(name),
      reason: earlier ? `${earlier.reason}; ${reason}` : reason,
      value: target,
    });
    rejections.push({ name, raw: raw.get(name), reason });
    return true;
  };

  for (let progress = true; progress; ) {
    progress = false;
    for (const violation of crossRuleViolations(accepted)) {
      const names = violation.involved;
      // One step at a time, so a name goes to its default only if last valid values cannot help.
      for (const stage of [1, 2] as const) {
        for (const name of names) {
          if ((reverted.get(name) ?? 0) < stage) progress = walkBack(name, stage, violation.reason) || progress;
        }
        if (progress) break;
      }
      // Values changed: the remaining violations may be gone, so check again from scratch.
      if (progress) break;
    }
  }
  return { accepted, held, rejections };
}

/** Builds the snapshot a settlement describes. */
export function snapshotOf(settlement: Settlement, loadedAt: number): LifetimeSnapshot {
  const scoped = groupByScope(settlement.accepted);
  const global = Object.freeze({ ...defaultValues(), ...scoped.global });
  const globalConfigured = new Set(Object.keys(scoped.global).filter(isParameterName));
  const freezeAll = (byId: ReadonlyMap<string, Partial<LifetimeValues>>) =>
    new Map([...byId].map(([id, values]) => [id, Object.freeze({ ...values })] as const));
  const named = [...settlement.accepted.keys(), ...settlement.held.keys(), ...settlement.rejections.map((rejection) => rejection.name)];
  const profileNames = new Set<string>();
  for (const name of named) {
    const parsed = parseRelativeName(name);
    if (parsed?.scope === 'profile') profileNames.add(parsed.id);
  }
  return {
    global,
    globalConfigured,
    clients: freezeAll(scoped.clients),
    audiences: freezeAll(scoped.audiences),
    profiles: freezeAll(scoped.profiles),
    profileNames,
    held: new Map(settlement.held),
    rejections: Object.freeze([...settlement.rejections]),
    loadedAt,
  };
}

/** Default for {@link LifetimeConfigStoreOptions.maxAgeMs}. */
export const DEFAULT_MAX_AGE_MS = 30_000;
/** DESIGN.md §4: a change in SSM takes effect within a minute. */
export const MAX_MAX_AGE_MS = 60_000;
/**
 * Each wait (the next refresh, a retry) is its nominal length times a factor drawn uniformly
 * from [REFRESH_JITTER_MIN, 1]: environments started together by a deploy drift apart instead
 * of reading SSM in step, and no wait is ever longer than its nominal length.
 */
export const REFRESH_JITTER_MIN = 0.8;
/** After failed loads with a snapshot in hand: `maxAgeMs × 2^(failures − 1)`, at most this. */
export const MAX_BACKOFF_MS = 300_000;
/** After failed loads without a snapshot: `COLD_RETRY_BASE_MS × 2^(failures − 1)`, at most `maxAgeMs`. */
export const COLD_RETRY_BASE_MS = 1_000;
/** Upper bound of {@link LifetimeConfigStoreOptions.refreshWaitMs}. */
export const MAX_REFRESH_WAIT_MS = 5_000;

export interface LifetimeConfigStoreOptions {
  readonly source: ParameterSource;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * How long a loaded configuration is served before the source is read again; at most 60000.
   * Each refresh is due after a jittered `[0.8, 1] × maxAgeMs`, never later.
   * @default 30000
   */
  readonly maxAgeMs?: number;
  /**
   * Uniform random numbers in [0, 1) for the jitter; injected so tests decide it.
   * @default Math.random
   */
  readonly random?: () => number;
  /**
   * How long a request that finds the snapshot due waits for the refresh before it is served
   * the snapshot in hand; at most 5000. 0 never waits: the setting for SSM, where a request
   * waiting on a throttled read is the outage this store avoids. A local file reads in
   * microseconds, so a short wait there lets the first request after the due time see an edit.
   * @default 0
   */
  readonly refreshWaitMs?: number;
  /**
   * Records each rejected value as a security event (`configuration_rejected`), at most once
   * per parameter, value and reason a day (in every function that reads the lifetimes: one event).
   * @default none
   */
  readonly events?: SecurityEventRecorder | undefined;
}

/**
 * Why {@link LifetimeConfigStore.current} rejects: the source has never been read successfully
 * and the store will not try again before `Retry-After` seconds. Answered 503
 * `temporarily_unavailable` with `Retry-After`; the client sees the generic description, the
 * source's error stays in `cause` for the log.
 */
export class ConfigurationUnavailableError extends TemporarilyUnavailable {
  override readonly name = 'ConfigurationUnavailableError';

  constructor(retryAfterSeconds: number, failure: unknown) {
    super(retryAfterSeconds, undefined, {
      cause: new Error(`lifetime configuration unavailable: the parameter source has never been read (${detailOf(failure)})`, {
        cause: failure,
      }),
    });
  }
}

const LOGGED_VALUE_LENGTH = 100;
// CloudWatch accepts dimension values up to 1024 characters; names this long are typos anyway.
const DIMENSION_LENGTH = 250;

/**
 * The lifetime configuration of a running service: loaded from a {@link ParameterSource},
 * checked by the guardrails, cached and refreshed behind the requests.
 *
 * - Once a snapshot exists, `current()` never waits for the source: a request that finds it due
 *   is answered from it at once and starts one refresh in the background, which later requests
 *   share (stale-while-revalidate). Nothing is scheduled: no timer keeps a process alive or
 *   fires in a frozen Lambda environment; the refresh runs on a request and is seen by the next.
 * - A refresh is due `maxAgeMs` after the previous load started, shortened by jitter to
 *   [0.8, 1] × `maxAgeMs`, so environments started together do not read SSM in step.
 * - A rejected value keeps that parameter's last valid value (see {@link settleParameters}: per
 *   parameter, not per configuration), logs `configuration_rejected` (warn) with the parameter
 *   and the reason, and counts `ConfigurationRejected` with dimension `Parameter`. This repeats on
 *   every load until the value is fixed, so the alarm stays on while it is wrong.
 * - A failed load logs `configuration_load_failed` and counts `ConfigurationLoadFailed`, once
 *   per attempt, and the next attempt backs off exponentially (jittered), whatever the error:
 *   `maxAgeMs × 2^(n − 1)` up to 5 minutes with a snapshot, which keeps being served; a success
 *   resets it. Every failure, throttling included, only ever makes calls rarer.
 * - Before any successful load, concurrent requests share the first load, and if it fails
 *   `current()` rejects with {@link ConfigurationUnavailableError} (503, `Retry-After`) rather
 *   than running on the defaults, which may be looser than what the operator tuned. Until the
 *   retry is due (1 s × 2^(n − 1), up to `maxAgeMs`) every request is refused at once without
 *   calling the source; then one request tries again.
 *
 * @example
 * const store = new LifetimeConfigStore({ source, clock: systemClock, logger: jsonLogger, metrics });
 * const { global } = await store.current();
 * global.access_token_ttl; // number
 */
export class LifetimeConfigStore {
  readonly #source: ParameterSource;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #maxAgeMs: number;
  readonly #random: () => number;
  readonly #refreshWaitMs: number;
  readonly #events: SecurityEventRecorder | undefined;
  #snapshot: LifetimeSnapshot | undefined;
  #accepted: ReadonlyMap<string, ParameterValue> = new Map();
  /** Clock time at which the last load started; `undefined` before the first. */
  #attemptedAt: number | undefined;
  /** Clock time from which the next load may start. */
  #dueAt = Number.NEGATIVE_INFINITY;
  /** Failed loads since the last success. */
  #failures = 0;
  #lastFailure: unknown;
  #loading: Promise<LifetimeSnapshot> | undefined;

  constructor(options: LifetimeConfigStoreOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    const { source, clock, logger, metrics, maxAgeMs = DEFAULT_MAX_AGE_MS, random = Math.random, refreshWaitMs = 0 } = options;
    if (typeof source?.load !== 'function') throw new TypeError('options.source must be a ParameterSource');
    if (typeof clock?.now !== 'function') throw new TypeError('options.clock must be a Clock');
    if (typeof logger?.warn !== 'function' || typeof logger.error !== 'function') throw new TypeError('options.logger must be a Logger');
    if (typeof metrics?.count !== 'function') throw new TypeError('options.metrics must be a Metrics');
    if (typeof maxAgeMs !== 'number' || !Number.isFinite(maxAgeMs) || maxAgeMs <= 0 || maxAgeMs > MAX_MAX_AGE_MS) {
      throw new TypeError(`options.maxAgeMs must be a number of milliseconds in (0, ${MAX_MAX_AGE_MS}]`);
    }
    if (typeof random !== 'function') throw new TypeError('options.random must be a function returning numbers in [0, 1)');
    if (typeof refreshWaitMs !== 'number' || !Number.isFinite(refreshWaitMs) || refreshWaitMs < 0 || refreshWaitMs > MAX_REFRESH_WAIT_MS) {
      throw new TypeError(`options.refreshWaitMs must be a number of milliseconds in [0, ${MAX_REFRESH_WAIT_MS}]`);
    }
    this.#source = source;
    this.#clock = clock;
    this.#logger = logger;
    this.#metrics = metrics;
    this.#maxAgeMs = maxAgeMs;
    this.#random = random;
    this.#refreshWaitMs = refreshWaitMs;
    this.#events = options.events;
  }

  /**
   * The current configuration. With a snapshot in hand, that snapshot, at once (a due refresh
   * runs behind it). Without one, the first load, shared by concurrent callers; rejects with
   * {@link ConfigurationUnavailableError} if it failed, and until the next attempt is due.
   */
  current(): Promise<LifetimeSnapshot> {
    const now = this.#clock.now();
    const snapshot = this.#snapshot;
    if (snapshot === undefined) {
      if (this.#loading !== undefined || this.#isDue(now)) return this.#start();
      return Promise.reject(this.#unavailable(now));
    }
    if (this.#isDue(now)) {
      // #load settles a failure itself; this only keeps a throwing logger from becoming an unhandled rejection.
      this.#start().catch(() => undefined);
    }
    if (this.#refreshWaitMs > 0 && this.#loading !== undefined) return this.#briefly(this.#loading, snapshot);
    return Promise.resolve(snapshot);
  }

  // A clock that went backwards counts as due rather than freezing the cache.
  #isDue(now: number): boolean {
    return now >= this.#dueAt || (this.#attemptedAt !== undefined && now < this.#attemptedAt);
  }

  #start(): Promise<LifetimeSnapshot> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  /** The refresh's result if it comes within `refreshWaitMs`, else the snapshot in hand. */
  #briefly(loading: Promise<LifetimeSnapshot>, fallback: LifetimeSnapshot): Promise<LifetimeSnapshot> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise<LifetimeSnapshot>((resolve) => {
      timer = setTimeout(() => resolve(fallback), this.#refreshWaitMs);
      timer.unref?.();
    });
    return Promise.race([loading.catch(() => fallback), waited]).finally(() => clearTimeout(timer));
  }

  async #load(): Promise<LifetimeSnapshot> {
    const startedAt = this.#clock.now();
    this.#attemptedAt = startedAt;
    try {
      return this.#settle(await this.#source.load(), startedAt);
    } catch (error) {
      return this.#failed(error);
    }
  }

  #settle(raw: Map<string, string>, startedAt: number): LifetimeSnapshot {
    const settlement = settleParameters(raw, this.#accepted);
    for (const rejection of settlement.rejections) {
      this.#logger.warn('configuration_rejected', {
        parameter: rejection.name,
        value: rejection.raw?.slice(0, LOGGED_VALUE_LENGTH),
        reason: rejection.reason,
        message: rejectionMessage(rejection.name, rejection.reason),
      });
      this.#metrics.count('ConfigurationRejected', { Parameter: rejection.name.slice(0, DIMENSION_LENGTH) });
      this.#recordRejection(rejection, startedAt);
    }
    this.#accepted = settlement.accepted;
    this.#snapshot = snapshotOf(settlement, startedAt);
    this.#failures = 0;
    this.#lastFailure = undefined;
    this.#dueAt = startedAt + this.#maxAgeMs * this.#jitter();
    return this.#snapshot;
  }

  /** Behind the load: a request never waits for it, and a failure is the recorder's to log. */
  #recordRejection(rejection: Rejection, loadedAt: number): void {
    if (!this.#events) return;
    const day = Math.floor(loadedAt / 86_400_000);
    const value = rejection.raw?.slice(0, LOGGED_VALUE_LENGTH);
    void this.#events.record({
      type: 'configuration_rejected',
      facts: { parameter: rejection.name, value, reason: rejection.reason },
      once: { key: `${rejection.name}\n${rejection.raw ?? ''}\n${rejection.reason}\n${day}`, until: (day + 1) * 86_400 },
      outsideRequest: true,
    });
  }

  #failed(error: unknown): LifetimeSnapshot {
    const now = this.#clock.now();
    const snapshot = this.#snapshot;
    this.#failures += 1;
    this.#lastFailure = error;
    const [base, cap] = snapshot === undefined ? [COLD_RETRY_BASE_MS, this.#maxAgeMs] : [this.#maxAgeMs, MAX_BACKOFF_MS];
    const retryInMs = Math.round(Math.min(base * 2 ** (this.#failures - 1), cap) * this.#jitter());
    this.#dueAt = now + retryInMs;
    this.#metrics.count('ConfigurationLoadFailed');
    const fields = { error: detailOf(error), failures: this.#failures, retryInMs };
    if (snapshot === undefined) {
      this.#logger.error('configuration_load_failed', { ...fields, serving: 'nothing' });
      throw this.#unavailable(now);
    }
    this.#logger.error('configuration_load_failed', { ...fields, serving: 'last snapshot', snapshotLoadedAt: snapshot.loadedAt });
    return snapshot;
  }

  #unavailable(now: number): ConfigurationUnavailableError {
    return new ConfigurationUnavailableError(Math.max(0, this.#dueAt - now) / 1000, this.#lastFailure);
  }

  /** A factor in [REFRESH_JITTER_MIN, 1]; a source outside [0, 1] is clamped, so a wait never grows. */
  #jitter(): number {
    const drawn = this.#random();
    const unit = Number.isFinite(drawn) ? Math.min(Math.max(drawn, 0), 1) : 1;
    return REFRESH_JITTER_MIN + (1 - REFRESH_JITTER_MIN) * unit;
  }
}

/**
 * What failed, for the log. The SSM client hands throttling and timeouts on as
 * {@link TemporarilyUnavailable}, whose own message is the one meant for clients; its cause names
 * the service and the SDK error.
 */
function detailOf(error: unknown): string {
  if (error instanceof TemporarilyUnavailable && error.cause instanceof Error) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}
