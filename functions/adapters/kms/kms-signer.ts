import { createHash } from 'node:crypto';
import {
  GetPublicKeyCommand,
  SignCommand,
  type GetPublicKeyCommandOutput,
  type SignCommandOutput,
  type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import { signCompactJws, SigningError, type PublicSigningJwk } from '../../oauth/jws.ts';
import { ecdsaDerToRaw, publicJwkFromSpki } from './der.ts';
import type { Signer, SigningAlgorithm } from '../../oauth/signer.ts';

/** The two KMS operations the signer needs; a `KMSClient` satisfies it, and so does a test fake. */
export interface KmsSigningClient {
  send(command: GetPublicKeyCommand): Promise<GetPublicKeyCommandOutput>;
  send(command: SignCommand): Promise<SignCommandOutput>;
}

/** Options of {@link KmsSigner}. */
export interface KmsSignerOptions {
  /** Injected KMS client (needs `kms:GetPublicKey`, plus `kms:Sign` on the active key to sign). */
  readonly client: KmsSigningClient;
  /** Key ID or ARN of the key that signs. */
  readonly activeKeyId: string;
  /**
   * Other keys still in rotation, published in the JWKS but never used to sign: the next key,
   * published before it becomes active, and the previous one, kept until its tokens expire.
   * @default []
   */
  readonly publishedKeyIds?: readonly string[];
}

interface KmsKey {
  /** The key ARN KMS resolved the configured ID to; signing uses it so an alias moving cannot desync the cached `kid`. */
  readonly keyArn: string;
  readonly alg: SigningAlgorithm;
  readonly signingAlgorithm: SigningAlgorithmSpec;
  readonly jwk: PublicSigningJwk;
}

/** KMS key specs Lifespan signs with, each with the one KMS signing algorithm that matches its JWS `alg`. */
const SUPPORTED_KEY_SPECS: Readonly<Record<string, { alg: SigningAlgorithm; signingAlgorithm: SigningAlgorithmSpec }>> = {
  RSA_2048: { alg: 'RS256', signingAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' },
  ECC_NIST_P256: { alg: 'ES256', signingAlgorithm: 'ECDSA_SHA_256' },
};

/**
 * {@link Signer} backed by AWS KMS asymmetric keys (RSA_2048 → RS256, ECC_NIST_P256 → ES256).
 *
 * Public keys are fetched with `GetPublicKey` once per key and kept for the life of the process:
 * a KMS key's material never changes. Signing hashes locally and sends only the SHA-256 digest.
 *
 * @example
 * ```ts
 * const signer = new KmsSigner({ client: new KMSClient({}), activeKeyId: config.signingKeyArn });
 * const jwt = await signer.signJwt({ iss, sub, aud, exp, iat }, 'at+jwt');
 * ```
 */
export class KmsSigner implements Signer {
  readonly #client: KmsSigningClient;
  readonly #activeKeyId: string;
  readonly #keyIds: readonly string[];
  readonly #keys = new Map<string, Promise<KmsKey>>();

  constructor(options: KmsSignerOptions) {
    if (typeof options?.client?.send !== 'function') throw new TypeError('KmsSigner: client with send() is required');
    assertKeyId(options.activeKeyId, 'activeKeyId');
    const published = options.publishedKeyIds ?? [];
    if (!Array.isArray(published)) throw new TypeError('KmsSigner: publishedKeyIds must be an array');
    published.forEach((keyId, index) => assertKeyId(keyId, `publishedKeyIds[${index}]`));
    this.#client = options.client;
    this.#activeKeyId = options.activeKeyId;
    this.#keyIds = [...new Set([options.activeKeyId, ...published])];
  }

  async signJwt(payload: JWTPayload, typ: string): Promise<string> {
    const key = await this.#key(this.#activeKeyId);
    return signCompactJws({ alg: key.alg, kid: key.jwk.kid, typ }, payload, async (signingInput) => {
      const digest = createHash('sha256').update(signingInput).digest();
      // DIGEST keeps any token under KMS's 4096-byte RAW message limit and sends 32 bytes.
      const { Signature } = await this.#client.send(
        new SignCommand({
          KeyId: key.keyArn,
          Message: digest,
          MessageType: 'DIGEST',
          SigningAlgorithm: key.signingAlgorithm,
        }),
      );
      if (!(Signature instanceof Uint8Array)) {
        throw new SigningError('ERR_SIGNATURE_MALFORMED', `KMS Sign returned no signature for key ${key.keyArn}`);
      }
      return key.alg === 'ES256' ? ecdsaDerToRaw(Signature) : Signature;
    });
  }

  async algorithm(): Promise<SigningAlgorithm> {
    return (await this.#key(this.#activeKeyId)).alg;
  }

  async jwks(): Promise<JSONWebKeySet> {
    const keys = await Promise.all(this.#keyIds.map((keyId) => this.#key(keyId)));
    // An ARN and an alias of the same key are two IDs but one kid; publish it once.
    const byKid = new Map(keys.map((key) => [key.jwk.kid, key.jwk] as const));
    return { keys: [...byKid.values()].map((jwk) => ({ ...jwk })) };
  }

  /** One `GetPublicKey` per key per process; concurrent first calls share it, a failure is not cached. */
  #key(keyId: string): Promise<KmsKey> {
    const cached = this.#keys.get(keyId);
    if (cached !== undefined) return cached;
    const key = this.#fetchKey(keyId);
    this.#keys.set(keyId, key);
    key.catch(() => {
      if (this.#keys.get(keyId) === key) this.#keys.delete(keyId);
    });
    return key;
  }

  async #fetchKey(keyId: string): Promise<KmsKey> {
    const response = await this.#client.send(new GetPublicKeyCommand({ KeyId: keyId }));
    if (response.KeyUsage !== 'SIGN_VERIFY') {
      unsupported(keyId, `has KeyUsage ${response.KeyUsage ?? 'unknown'}; signing keys need SIGN_VERIFY`);
    }
    const supported = response.KeySpec === undefined ? undefined : SUPPORTED_KEY_SPECS[response.KeySpec];
    if (supported === undefined) {
      unsupported(keyId, `has KeySpec ${response.KeySpec ?? 'unknown'}; Lifespan signs with RSA_2048 (RS256) or ECC_NIST_P256 (ES256)`);
    }
    if (!response.SigningAlgorithms?.includes(supported.signingAlgorithm)) {
      unsupported(keyId, `does not offer ${supported.signingAlgorithm}, needed for ${supported.alg}`);
    }
    if (!(response.PublicKey instanceof Uint8Array)) unsupported(keyId, 'has no public key in GetPublicKey');
    let jwk: PublicSigningJwk;
    try {
      jwk = await publicJwkFromSpki(response.PublicKey, supported.alg);
    } catch (cause) {
      throw new SigningError('ERR_SIGNING_KEY_UNSUPPORTED', `KMS key ${keyId}: unusable public key`, { cause });
    }
    return { keyArn: response.KeyId ?? keyId, alg: supported.alg, signingAlgorithm: supported.signingAlgorithm, jwk };
  }
}

function assertKeyId(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`KmsSigner: ${name} must be a non-empty key ID or ARN`);
}

function unsupported(keyId: string, reason: string): never {
  throw new SigningError('ERR_SIGNING_KEY_UNSUPPORTED', `KMS key ${keyId} ${reason}`);
}
