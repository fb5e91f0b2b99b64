import { importJWK, type JWK } from 'jose';
import { JwksUnavailable, UnknownKey } from './errors.ts';
import type { Clock, FetchLike, VerifierAlgorithm } from './types.ts';

/** A verification key from the JWKS, with the one algorithm it may be used with. */
export interface VerificationKey {
  readonly alg: VerifierAlgorithm;
  readonly key: Awaited<ReturnType<typeof importJWK>>;
}

export interface JwksCacheOptions {
  readonly uri: string;
  readonly fetch: FetchLike;
  readonly clock: Clock;
  readonly cooldownMs: number;
  readonly timeoutMs: number;
}

/**
 * The issuer's public keys, fetched once and kept. A `kid` that is not known triggers one
 * refetch, at most once per cooldown; every token arriving while that refetch runs waits for
 * it instead of starting its own. Nothing else triggers a fetch: not a bad signature, not a
 * refused algorithm, not the HTTP caching headers. A refetch replaces the whole set, so keys the
 * issuer has retired are forgotten.
 *
 * Only RSA and EC P-256 keys with `use` `sig` (or none) are kept, each bound to one algorithm:
 * its own `alg` when it has one, otherwise the algorithm its type implies. Symmetric (`oct`) and
 * other keys are ignored, so no key in the set can ever verify an HMAC.
 */
export class JwksCache {
  readonly #options: JwksCacheOptions;
  #keys: ReadonlyMap<string, VerificationKey> | undefined;
  /** When the last fetch started (clock milliseconds), successful or not. */
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #pending: Promise<void> | undefined;

  constructor(options: JwksCacheOptions) {
    this.#options = options;
  }

  /** The key `kid` names. @throws UnknownKey, JwksUnavailable */
  async key(kid: string): Promise<VerificationKey> {
    // Until a first fetch has succeeded every call may try again; concurrent calls share one fetch.
    if (this.#keys === undefined) await this.#refresh();
    const known = this.#keys?.get(kid);
    if (known) return known;
    if (this.#pending) await this.#pending;
    else if (this.#options.clock.now() - this.#fetchedAt >= this.#options.cooldownMs) await this.#refresh();
    else throw new UnknownKey('the token was signed with a key the issuer does not publish');
    const found = this.#keys?.get(kid);
    if (!found) throw new UnknownKey('the token was signed with a key the issuer does not publish');
    return found;
  }

  #refresh(): Promise<void> {
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #fetch(): Promise<void> {
    this.#fetchedAt = this.#options.clock.now();
    const { uri } = this.#options;
    let body: unknown;
    try {
      const response = await this.#options.fetch(uri, {
        method: 'GET',
        headers: { accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new JwksUnavailable(`the JWKS at ${uri} answered HTTP ${response.status}`);
      }
      body = await response.json();
    } catch (cause) {
      if (cause instanceof JwksUnavailable) throw cause;
      throw new JwksUnavailable(`the JWKS at ${uri} could not be fetched`, { cause });
    }
    const keys = typeof body === 'object' && body !== null ? (body as { keys?: unknown }).keys : undefined;
    if (!Array.isArray(keys)) throw new JwksUnavailable(`the JWKS at ${uri} is not a JSON Web Key Set`);
    const usable = new Map<string, VerificationKey>();
    for (const jwk of keys) {
      const imported = await verificationKey(jwk);
      if (imported && !usable.has(imported.kid)) usable.set(imported.kid, imported.key);
    }
    this.#keys = usable;
  }
}

/** The key and its algorithm, or `undefined` when this JWK cannot verify Lifespan tokens. */
async function verificationKey(value: unknown): Promise<{ kid: string; key: VerificationKey } | undefined> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const jwk = value as Record<string, unknown>;
  const { kid, use, key_ops: keyOps } = jwk;
  if (typeof kid !== 'string' || kid === '') return undefined;
  if (use !== undefined && use !== 'sig') return undefined;
  if (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.includes('verify'))) return undefined;
  const implied = impliedAlgorithm(jwk);
  if (implied === undefined || (jwk['alg'] !== undefined && jwk['alg'] !== implied)) return undefined;
  // Only the public members: a private or unexpected member in the set changes nothing.
  const members: JWK =
    jwk['kty'] === 'RSA' ? { kty: 'RSA', n: jwk['n'] as string, e: jwk['e'] as string } : { kty: 'EC', crv: 'P-256', x: jwk['x'] as string, y: jwk['y'] as string };
  try {
    return { kid, key: { alg: implied, key: await importJWK(members, implied) } };
  } catch {
    return undefined;
  }
}

/** RFC 7518 §3.3: RSA keys of at least 2048 bits. */
const RSA_MIN_MODULUS_BYTES = 256;

function impliedAlgorithm(jwk: Record<string, unknown>): VerifierAlgorithm | undefined {
  if (jwk['kty'] === 'RSA' && typeof jwk['n'] === 'string' && typeof jwk['e'] === 'string') {
    return Buffer.from(jwk['n'], 'base64url').length >= RSA_MIN_MODULUS_BYTES ? 'RS256' : undefined;
  }
  if (jwk['kty'] === 'EC' && jwk['crv'] === 'P-256' && typeof jwk['x'] === 'string' && typeof jwk['y'] === 'string') return 'ES256';
  return undefined;
}
