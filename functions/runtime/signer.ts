import { kmsClient } from './aws-clients.ts';
import { KmsSigner, type KmsSigningClient } from '../adapters/kms/kms-signer.ts';
import { LocalKeySigner, loadOrCreateLocalKeyFile } from '../adapters/local/local-key-signer.ts';
import type { Signer } from '../oauth/signer.ts';
import type { SignerEnvironment } from './environment.ts';

/** A signer that builds the real one on first use (the local key file is read asynchronously). */
function deferred(load: () => Promise<Signer>): Signer {
  let signer: Promise<Signer> | undefined;
  const get = () => {
    signer ??= load().catch((error: unknown) => {
      signer = undefined;
      throw error;
    });
    return signer;
  };
  return {
    signJwt: async (payload, typ) => (await get()).signJwt(payload, typ),
    algorithm: async () => (await get()).algorithm(),
    jwks: async () => (await get()).jwks(),
  };
}

/** The signer the environment asks for: KMS in AWS, a local key file in local mode. */
export function signerFromEnvironment(environment: SignerEnvironment, client?: KmsSigningClient): Signer {
  if (environment.kind === 'kms') {
    return new KmsSigner({
      client: client ?? kmsClient(),
      activeKeyId: environment.activeKeyId,
      publishedKeyIds: environment.publishedKeyIds,
    });
  }
  return deferred(async () => new LocalKeySigner(await loadOrCreateLocalKeyFile(environment.keyFile, environment.algorithm)));
}
