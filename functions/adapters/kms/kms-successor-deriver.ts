import { GenerateMacCommand, type GenerateMacCommandOutput } from '@aws-sdk/client-kms';
import { HmacSuccessorDeriver } from '../local/local-successor-deriver.ts';
import type { SuccessorDeriver } from '../../oauth/tokens/successor.ts';

export interface KmsMacClient {
  send(command: GenerateMacCommand): Promise<GenerateMacCommandOutput>;
}

const LABEL = new TextEncoder().encode('lifespan/refresh-successor/v1');

/**
 * The successor key, derived once per execution environment by a KMS HMAC key
 * (`GenerateMac` over a fixed label): every Lambda instance derives the same key, and it is
 * never stored anywhere. One KMS call per cold start, none per refresh.
 */
export class KmsSuccessorDeriver implements SuccessorDeriver {
  readonly #client: KmsMacClient;
  readonly #keyId: string;
  #inner: Promise<HmacSuccessorDeriver> | undefined;

  constructor(options: { readonly client: KmsMacClient; readonly keyId: string }) {
    if (!options.keyId) throw new TypeError('KmsSuccessorDeriver: keyId is required');
    this.#client = options.client;
    this.#keyId = options.keyId;
  }

  async successor(familyId: string, generation: number, secret: string): Promise<string> {
    this.#inner ??= this.#derive().catch((error: unknown) => {
      this.#inner = undefined;
      throw error;
    });
    return (await this.#inner).successor(familyId, generation, secret);
  }

  async #derive(): Promise<HmacSuccessorDeriver> {
    const { Mac } = await this.#client.send(
      new GenerateMacCommand({ KeyId: this.#keyId, MacAlgorithm: 'HMAC_SHA_256', Message: LABEL }),
    );
    if (!Mac || Mac.length < 32) throw new Error('KMS GenerateMac returned no usable MAC');
    return new HmacSuccessorDeriver(Mac);
  }
}
