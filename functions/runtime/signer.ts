import { kmsClient } from './kms-client.ts';
import { KmsSigner, type KmsSigningClient } from '../adapters/kms/kms-signer.ts';
import { LocalKeySigner, loadOrCreateLocalKeyFile } from '../adapters/local/local-key-signer.ts';
import type { Signer } from '../oauth/signer.ts';
import type { SignerEnvironment } from './environment.ts';
import type { HandlerServices } from './handler-runtime.ts';
import { readSignerEnvironment } from './environment.ts';
import { lazy } from './lazy.ts';

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
  // A build-time constant in the Lambda bundles: esbuild drops this branch and the local key signer.
  if (process.env.LIFESPAN_BUNDLE !== 'lambda') {
    return deferred(async () => new LocalKeySigner(await loadOrCreateLocalKeyFile(environment.keyFile, environment.algorithm)));
  }
  throw new TypeError('local signing is not part of the Lambda bundle');
}

/** The signer a handler uses: the environment is checked now, the key loaded on first use. */
export function signerFor(services: HandlerServices): () => Signer {
  const environment = readSignerEnvironment(services.runtime.env);
  return lazy(() => signerFromEnvironment(environment, services.runtime.aws?.kms));
}
