import type { Clock } from '../oauth/clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { checkEntry, crossRuleViolations, groupByScope, rejectionMessage } from './guardrails.ts';
import { defaultValues, isParameterName, type LifetimeValues, type ParameterName, type ParameterValue } from './parameters.ts';
import type { ParameterSource } from './source.ts';

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
  return {
    global,
    globalConfigured,
    clients: freezeAll(scoped.clients),
    audiences: freezeAll(scoped.audiences),
    held: new Map(settlement.held),
    rejections: Object.freeze([...settlement.rejections]),
    loadedAt,
  };
}

/** Default for {@link LifetimeConfigStoreOptions.maxAgeMs}. */
export const DEFAULT_MAX_AGE_MS = 30_000;
/** DESIGN.md §4: a change in SSM takes effect within a minute. */
export const MAX_MAX_AGE_MS = 60_000;

export interface LifetimeConfigStoreOptions {
  readonly source: ParameterSource;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * How long a loaded configuration is served before the source is read again; at most 60000.
   * @default 30000
   */
  readonly maxAgeMs?: number;
}

/** Thrown by {@link LifetimeConfigStore.current} when the source has never been read successfully. */
export class ConfigurationUnavailableError extends Error {
  readonly code = 'ERR_LIFETIMES_UNAVAILABLE';
  override readonly name = 'ConfigurationUnavailableError';
}

const LOGGED_VALUE_LENGTH = 100;
// CloudWatch accepts dimension values up to 1024 characters; names this long are typos anyway.
const DIMENSION_LENGTH = 250;

/**
 * The lifetime configuration of a running service: loaded from a {@link ParameterSource},
 * checked by the guardrails, cached for `maxAgeMs`.
 *
 * - At most one load per `maxAgeMs`; concurrent callers of an expired cache share one load.
 * - A rejected value keeps that parameter's last valid value (see {@link settleParameters}: per
 *   parameter, not per configuration), logs `configuration_rejected` (warn) with the parameter
 *   and the reason, and counts `ConfigurationRejected` with dimension `Parameter`. This repeats on
 *   every load until the value is fixed, so the alarm stays on while it is wrong.
 * - If the source fails, the last snapshot keeps being served (logged as
 *   `configuration_load_failed`, metric `ConfigurationLoadFailed`) and the source is tried again
 *   after `maxAgeMs`. Before any successful load, `current()` throws
 *   {@link ConfigurationUnavailableError} instead: the defaults may be looser than what the
 *   operator tuned, so a cold start never runs on them silently.
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
  #snapshot: LifetimeSnapshot | undefined;
  #accepted: ReadonlyMap<string, ParameterValue> = new Map();
  #checkedAt = 0;
  #loading: Promise<LifetimeSnapshot> | undefined;

  constructor(options: LifetimeConfigStoreOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    const { source, clock, logger, metrics, maxAgeMs = DEFAULT_MAX_AGE_MS } = options;
    if (typeof source?.load !== 'function') throw new TypeError('options.source must be a ParameterSource');
    if (typeof clock?.now !== 'function') throw new TypeError('options.clock must be a Clock');
    if (typeof logger?.warn !== 'function' || typeof logger.error !== 'function') throw new TypeError('options.logger must be a Logger');
    if (typeof metrics?.count !== 'function') throw new TypeError('options.metrics must be a Metrics');
    if (typeof maxAgeMs !== 'number' || !Number.isFinite(maxAgeMs) || maxAgeMs <= 0 || maxAgeMs > MAX_MAX_AGE_MS) {
      throw new TypeError(`options.maxAgeMs must be a number of milliseconds in (0, ${MAX_MAX_AGE_MS}]`);
    }
    this.#source = source;
    this.#clock = clock;
    this.#logger = logger;
    this.#metrics = metrics;
    this.#maxAgeMs = maxAgeMs;
  }

  /** The current configuration, read from the source if the cached one is older than `maxAgeMs`. */
  current(): Promise<LifetimeSnapshot> {
    const age = this.#clock.now() - this.#checkedAt;
    // A clock that went backwards counts as expired rather than freezing the cache.
    if (this.#snapshot !== undefined && age >= 0 && age < this.#maxAgeMs) return Promise.resolve(this.#snapshot);
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #load(): Promise<LifetimeSnapshot> {
    const startedAt = this.#clock.now();
    let raw: Map<string, string>;
    try {
      raw = await this.#source.load();
    } catch (error) {
      return this.#failed(error, startedAt);
    }
    const settlement = settleParameters(raw, this.#accepted);
    for (const rejection of settlement.rejections) {
      this.#logger.warn('configuration_rejected', {
        parameter: rejection.name,
        value: rejection.raw?.slice(0, LOGGED_VALUE_LENGTH),
        reason: rejection.reason,
        message: rejectionMessage(rejection.name, rejection.reason),
      });
      this.#metrics.count('ConfigurationRejected', { Parameter: rejection.name.slice(0, DIMENSION_LENGTH) });
    }
    this.#accepted = settlement.accepted;
    this.#snapshot = snapshotOf(settlement, startedAt);
    this.#checkedAt = startedAt;
    return this.#snapshot;
  }

  #failed(error: unknown, startedAt: number): LifetimeSnapshot {
    const detail = error instanceof Error ? error.message : String(error);
    this.#metrics.count('ConfigurationLoadFailed');
    if (this.#snapshot === undefined) {
      this.#logger.error('configuration_load_failed', { error: detail, serving: 'nothing' });
      throw new ConfigurationUnavailableError('lifetime configuration unavailable: the parameter source has never been read', {
        cause: error,
      });
    }
    this.#logger.error('configuration_load_failed', { error: detail, serving: 'last snapshot', snapshotLoadedAt: this.#snapshot.loadedAt });
    // Wait a full maxAge before trying again, so a throttled SSM is not hammered by every request.
    this.#checkedAt = startedAt;
    return this.#snapshot;
  }
}
