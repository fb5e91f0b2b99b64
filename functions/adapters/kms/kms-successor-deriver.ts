import { GenerateMacCommand, type GenerateMacCommandOutput } from '@aws-sdk/client-kms';
import { HmacSuccessorDeriver, HmacUserCodeKeys } from '../local/local-successor-deriver.ts';
import { HmacDpopNonces, type DpopNonces } from '../../oauth/dpop/nonce.ts';
import type { UserCodeKeys } from '../../oauth/device/user-code.ts';
import type { SuccessorDeriver } from '../../oauth/tokens/successor.ts';

export interface KmsMacClient {
  send(command: GenerateMacCommand): Promise<GenerateMacCommandOutput>;
}

/** What each derived key is for: the GenerateMac message, so every use gets a key of its own. */
const LABELS = {
  successor: 'lifespan/refresh-successor/v1',
  userCode: 'lifespan/device-user-code/v1',
  dpopNonce: 'lifespan/dpop-nonce/v1',
} as const;

/**
 * A key derived once per execution environment by the KMS HMAC key (`GenerateMac` over a fixed
 * label): every Lambda instance derives the same key, and it is never stored anywhere. One KMS
 * call per cold start and label, none per request; a failure is not kept.
 */
class KmsDerivedKey<T> {
  readonly #client: KmsMacClient;
  readonly #keyId: string;
  readonly #label: Uint8Array;
  readonly #build: (key: Uint8Array) => T;
  #inner: Promise<T> | undefined;

  constructor(options: { readonly client: KmsMacClient; readonly keyId: string }, label: string, build: (key: Uint8Array) => T) {
    if (!options.keyId) throw new TypeError('a KMS HMAC keyId is required');
    this.#client = options.client;
    this.#keyId = options.keyId;
    this.#label = new TextEncoder().encode(label);
    this.#build = build;
  }

  get(): Promise<T> {
    this.#inner ??= this.#derive().catch((error: unknown) => {
      this.#inner = undefined;
      throw error;
    });
    return this.#inner;
  }

  async #derive(): Promise<T> {
    const { Mac } = await this.#client.send(new GenerateMacCommand({ KeyId: this.#keyId, MacAlgorithm: 'HMAC_SHA_256', Message: this.#label }));
    if (!Mac || Mac.length < 32) throw new Error('KMS GenerateMac returned no usable MAC');
    return this.#build(Mac);
  }
}

/** Refresh-token successors under a key the KMS HMAC key derives (`lifespan/refresh-successor/v1`). */
export class KmsSuccessorDeriver implements SuccessorDeriver {
  readonly #inner: KmsDerivedKey<HmacSuccessorDeriver>;

  constructor(options: { readonly client: KmsMacClient; readonly keyId: string }) {
    this.#inner = new KmsDerivedKey(options, LABELS.successor, (key) => new HmacSuccessorDeriver(key));
  }

  async successor(familyId: string, generation: number, secret: string): Promise<string> {
    return (await this.#inner.get()).successor(familyId, generation, secret);
  }
}

/** User-code storage keys under another key the same KMS HMAC key derives (`lifespan/device-user-code/v1`). */
export class KmsUserCodeKeys implements UserCodeKeys {
  readonly #inner: KmsDerivedKey<HmacUserCodeKeys>;

  constructor(options: { readonly client: KmsMacClient; readonly keyId: string }) {
    this.#inner = new KmsDerivedKey(options, LABELS.userCode, (key) => new HmacUserCodeKeys(key));
  }

  async keyOf(userCode: string): Promise<string> {
    return (await this.#inner.get()).keyOf(userCode);
  }
}

/** DPoP server nonces under a third key the KMS HMAC key derives (`lifespan/dpop-nonce/v1`). */
export class KmsDpopNonces implements DpopNonces {
  readonly #inner: KmsDerivedKey<HmacDpopNonces>;

  constructor(options: { readonly client: KmsMacClient; readonly keyId: string }) {
    this.#inner = new KmsDerivedKey(options, LABELS.dpopNonce, (key) => new HmacDpopNonces(key));
  }

  async issue(now: number): Promise<string> {
    return (await this.#inner.get()).issue(now);
  }

  async accepts(nonce: string, now: number): Promise<boolean> {
    return (await this.#inner.get()).accepts(nonce, now);
  }
}
