import { kmsClient } from './kms-client.ts';
import { KmsDpopNonces, KmsSuccessorDeriver, KmsUserCodeKeys, type KmsMacClient } from '../adapters/kms/kms-successor-deriver.ts';
import { HmacSuccessorDeriver, HmacUserCodeKeys, loadOrCreateSuccessorKey } from '../adapters/local/local-successor-deriver.ts';
import { HmacDpopNonces, type DpopNonces } from '../oauth/dpop/nonce.ts';
import type { UserCodeKeys } from '../oauth/device/user-code.ts';
import type { SuccessorDeriver } from '../oauth/tokens/successor.ts';
import type { SuccessorEnvironment } from './environment.ts';
import type { HandlerServices } from './handler-runtime.ts';
import { readSuccessorEnvironment } from './environment.ts';
import { lazy } from './lazy.ts';

type KmsOptions = { readonly client: KmsMacClient; readonly keyId: string };

/**
 * One use of the server-held key: in AWS a key KMS derives for it (one call per cold start);
 * locally the key file's key, read on first use (`local` wraps that read), each use keeping its
 * own message label.
 */
function fromServerKey<T>(
  environment: SuccessorEnvironment,
  client: KmsMacClient | undefined,
  kms: (options: KmsOptions) => T,
  local: (inner: () => Promise<T>) => T,
  build: (key: Uint8Array) => T,
): T {
  if (environment.kind === 'kms') return kms({ client: client ?? kmsClient(), keyId: environment.macKeyId });
  // A build-time constant in the Lambda bundles: esbuild drops this branch and the key file code.
  if (process.env.LIFESPAN_BUNDLE !== 'lambda') {
    let inner: Promise<T> | undefined;
    return local(() => (inner ??= loadOrCreateSuccessorKey(environment.keyFile).then(build)));
  }
  throw new TypeError('a local successor key is not part of the Lambda bundle');
}

export function successorFromEnvironment(environment: SuccessorEnvironment, client?: KmsMacClient): SuccessorDeriver {
  return fromServerKey<SuccessorDeriver>(
    environment,
    client,
    (options) => new KmsSuccessorDeriver(options),
    (inner) => ({ successor: async (familyId, generation, secret) => (await inner()).successor(familyId, generation, secret) }),
    (key) => new HmacSuccessorDeriver(key),
  );
}

/** The keys device user codes are stored under: from the same server-held key as the successors. */
export function userCodeKeysFromEnvironment(environment: SuccessorEnvironment, client?: KmsMacClient): UserCodeKeys {
  return fromServerKey<UserCodeKeys>(
    environment,
    client,
    (options) => new KmsUserCodeKeys(options),
    (inner) => ({ keyOf: async (userCode) => (await inner()).keyOf(userCode) }),
    (key) => new HmacUserCodeKeys(key),
  );
}

/** DPoP server nonces (RFC 9449 §8): stateless, under another use of the same server-held key. */
export function dpopNoncesFromEnvironment(environment: SuccessorEnvironment, client?: KmsMacClient): DpopNonces {
  return fromServerKey<DpopNonces>(
    environment,
    client,
    (options) => new KmsDpopNonces(options),
    (inner) => ({
      issue: async (now) => (await inner()).issue(now),
      accepts: async (nonce, now) => (await inner()).accepts(nonce, now),
    }),
    (key) => new HmacDpopNonces(key),
  );
}

/** The refresh-successor deriver a handler uses (the server-held key, derived on first use). */
export function successorsFor(services: HandlerServices): () => SuccessorDeriver {
  const environment = readSuccessorEnvironment(services.runtime.env);
  return lazy(() => successorFromEnvironment(environment, services.runtime.aws?.kms));
}

/** The storage keys of device user codes, from the same server-held key (another label). */
export function userCodeKeysFor(services: HandlerServices): () => UserCodeKeys {
  const environment = readSuccessorEnvironment(services.runtime.env);
  return lazy(() => userCodeKeysFromEnvironment(environment, services.runtime.aws?.kms));
}

/** The DPoP nonces of the token endpoint, from the same server-held key (a third label). */
export function dpopNoncesFor(services: HandlerServices): () => DpopNonces {
  const environment = readSuccessorEnvironment(services.runtime.env);
  return lazy(() => dpopNoncesFromEnvironment(environment, services.runtime.aws?.kms));
}
