import { DpopProofRefused, normalizedHtu, verifyDpopProof } from '../oauth/dpop/proof.ts';
import {
  DpopKeyMismatch,
  DpopProofInvalid,
  DpopProofMissing,
  DpopProofReplayed,
  DpopReplayStoreUnavailable,
  WrongTokenScheme,
} from './errors.ts';
import type { VerifiedClaims } from './types.ts';

/** The authentication scheme a token came with (`Authorization: Bearer …` or `Authorization: DPoP …`). */
export type TokenScheme = 'Bearer' | 'DPoP';

/** What `verify` needs of the request to check a DPoP-bound token (RFC 9449 §7). */
export interface DpopRequest {
  /** The `DPoP` header's value; `undefined` when the request has none. */
  readonly proof: string | undefined;
  /** The request's HTTP method, e.g. `GET` (the proof's `htm`). */
  readonly method: string;
  /**
   * The absolute URL the client called, as the client names it (the proof's `htu`): behind a
   * custom domain, that domain and its base path. Query and fragment are ignored.
   */
  readonly url: string;
}

/**
 * Where the `jti`s of accepted DPoP proofs are remembered (RFC 9449 §11.1). A shared store
 * (DynamoDB with a conditional put, Redis `SET NX PX`…) makes a replay fail on every instance;
 * the default, in memory, only on the instance that saw the proof first.
 */
export interface DpopReplayStore {
  /**
   * Records the proof (`jkt`, `jti`) until `until` (epoch seconds) and answers `true`, or answers
   * `false` when it is already recorded and `until` has not passed: a replay. Must be atomic:
   * of two concurrent calls with the same pair, exactly one answers `true`. Throwing (or
   * answering anything but a boolean) refuses the token with `dpop_replay_store_unavailable`.
   *
   * @param now Epoch seconds, from the verifier's clock.
   */
  firstUse(jkt: string, jti: string, until: number, now: number): Promise<boolean> | boolean;
}

/** How many proofs the default in-memory replay store remembers. */
export const DPOP_REPLAY_MEMORY_ENTRIES = 10_000;

/**
 * The default {@link DpopReplayStore}: at most `maxEntries` proofs in memory. When full, the
 * expired ones are dropped first; if none has expired, the oldest recorded is dropped, so memory
 * stays bounded and requests keep being served, at the price that a proof dropped before the end
 * of its lifetime could be accepted once more by this instance. The check and the record happen
 * in one synchronous step, so concurrent requests with one proof cannot both pass.
 */
export class MemoryDpopReplayStore implements DpopReplayStore {
  readonly #maxEntries: number;
  readonly #seen = new Map<string, number>();
  #sweptAt = Number.NaN;

  constructor(maxEntries = DPOP_REPLAY_MEMORY_ENTRIES) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#seen.size;
  }

  firstUse(jkt: string, jti: string, until: number, now: number): boolean {
    // A thumbprint is 43 characters without a colon, so the key is unambiguous.
    const key = `${jkt}:${jti}`;
    const recorded = this.#seen.get(key);
    if (recorded !== undefined && recorded >= now) return false;
    this.#seen.delete(key);
    if (this.#seen.size >= this.#maxEntries) this.#evict(now);
    this.#seen.set(key, until);
    return true;
  }

  #evict(now: number): void {
    // `now` is whole seconds: a second sweep within the same second would find nothing more expired.
    if (now !== this.#sweptAt) {
      this.#sweptAt = now;
      for (const [key, until] of this.#seen) if (until < now) this.#seen.delete(key);
    }
    if (this.#seen.size >= this.#maxEntries) this.#seen.delete(this.#seen.keys().next().value!);
  }
}

/** @throws TypeError when the store has no `firstUse` method. */
export function assertReplayStore(value: unknown): asserts value is DpopReplayStore {
  if (typeof (value as Partial<DpopReplayStore> | null)?.firstUse !== 'function') {
    throw new TypeError('dpopReplayStore must have a firstUse(jkt, jti, until, now) method');
  }
}

/** Checks the per-call `scheme` and `dpop` options; `dpop` is required with the DPoP scheme. @throws TypeError */
export function requestBinding(scheme: unknown, dpop: unknown): { scheme: TokenScheme; dpop: DpopRequest | undefined } {
  if (scheme !== undefined && scheme !== 'Bearer' && scheme !== 'DPoP') throw new TypeError('scheme must be "Bearer" or "DPoP"');
  const resolved = scheme ?? 'Bearer';
  if (dpop === undefined) {
    if (resolved === 'DPoP') throw new TypeError('dpop (the proof, method and URL of the request) is required with scheme "DPoP"');
    return { scheme: resolved, dpop: undefined };
  }
  if (typeof dpop !== 'object' || dpop === null) throw new TypeError('dpop must be an object');
  const { proof, method, url } = dpop as Partial<DpopRequest>;
  if (proof !== undefined && typeof proof !== 'string') throw new TypeError('dpop.proof must be a string or undefined');
  if (typeof method !== 'string' || method === '') throw new TypeError('dpop.method must be a non-empty string');
  if (typeof url !== 'string' || normalizedHtu(url) === undefined) throw new TypeError('dpop.url must be an absolute http(s) URL');
  return { scheme: resolved, dpop: { proof, method, url } };
}

export interface BindingContext {
  readonly scheme: TokenScheme;
  readonly dpop: DpopRequest | undefined;
  /** Epoch seconds. */
  readonly now: number;
  readonly skew: number;
  readonly replays: DpopReplayStore;
}

/**
 * RFC 9449 §7: a token bound to a key (`cnf.jkt`) is accepted only with the DPoP scheme and a
 * proof by that key for this request and this token, used once; a token not bound only as Bearer.
 *
 * @throws WrongTokenScheme, DpopProofMissing, DpopProofInvalid, DpopKeyMismatch, DpopProofReplayed, DpopReplayStoreUnavailable
 */
export async function checkBinding(token: string, claims: VerifiedClaims, context: BindingContext): Promise<void> {
  const bound = claims.cnf?.jkt;
  if (bound === undefined) {
    if (context.scheme === 'DPoP') throw new WrongTokenScheme('the access token is not DPoP-bound: send it with the Bearer scheme');
    return;
  }
  if (context.scheme !== 'DPoP' || context.dpop === undefined) {
    throw new WrongTokenScheme('the access token is DPoP-bound: send it with the DPoP scheme and a proof');
  }
  const { proof, method, url } = context.dpop;
  if (proof === undefined || proof === '') throw new DpopProofMissing('a DPoP proof is required with a DPoP-bound access token');
  let verified;
  try {
    verified = await verifyDpopProof(proof, { method, url, now: context.now, skew: context.skew, accessToken: token });
  } catch (error) {
    if (error instanceof DpopProofRefused) throw new DpopProofInvalid(error.message, { cause: error });
    throw error;
  }
  if (verified.jkt !== bound) throw new DpopKeyMismatch('the DPoP proof is signed with another key than the one the access token is bound to');
  let first: unknown;
  try {
    first = await context.replays.firstUse(verified.jkt, verified.jti, verified.replayableUntil, Math.floor(context.now));
  } catch (cause) {
    throw new DpopReplayStoreUnavailable('the DPoP replay store failed', { cause });
  }
  if (typeof first !== 'boolean') throw new DpopReplayStoreUnavailable('the DPoP replay store answered something other than a boolean');
  if (!first) throw new DpopProofReplayed('the DPoP proof was already used');
}
