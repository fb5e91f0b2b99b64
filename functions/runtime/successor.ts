import { kmsClient } from './kms-client.ts';
import { KmsSuccessorDeriver, KmsUserCodeKeys, type KmsMacClient } from '../adapters/kms/kms-successor-deriver.ts';
import { HmacSuccessorDeriver, HmacUserCodeKeys, loadOrCreateSuccessorKey } from '../adapters/local/local-successor-deriver.ts';
import type { UserCodeKeys } from '../oauth/device/user-code.ts';
import type { SuccessorDeriver } from '../oauth/tokens/successor.ts';
import type { SuccessorEnvironment } from './environment.ts';
import type { HandlerServices } from './handler-runtime.ts';
import { readSuccessorEnvironment } from './environment.ts';
import { lazy } from './lazy.ts';

export function successorFromEnvironment(environment: SuccessorEnvironment, client?: KmsMacClient): SuccessorDeriver {
  if (environment.kind === 'kms') return new KmsSuccessorDeriver({ client: client ?? kmsClient(), keyId: environment.macKeyId });
  // A build-time constant in the Lambda bundles: esbuild drops this branch and the key file code.
  if (process.env.LIFESPAN_BUNDLE !== 'lambda') {
    let inner: Promise<SuccessorDeriver> | undefined;
    return {
      async successor(familyId, generation, secret) {
        inner ??= loadOrCreateSuccessorKey(environment.keyFile).then((key) => new HmacSuccessorDeriver(key));
        return (await inner).successor(familyId, generation, secret);
      },
    };
  }
  throw new TypeError('a local successor key is not part of the Lambda bundle');
}

/** The keys device user codes are stored under: from the same server-held key as the successors. */
export function userCodeKeysFromEnvironment(environment: SuccessorEnvironment, client?: KmsMacClient): UserCodeKeys {
  if (environment.kind === 'kms') return new KmsUserCodeKeys({ client: client ?? kmsClient(), keyId: environment.macKeyId });
  if (process.env.LIFESPAN_BUNDLE !== 'lambda') {
    let inner: Promise<UserCodeKeys> | undefined;
    return {
      async keyOf(userCode) {
        inner ??= loadOrCreateSuccessorKey(environment.keyFile).then((key) => new HmacUserCodeKeys(key));
        return (await inner).keyOf(userCode);
      },
    };
  }
  throw new TypeError('a local successor key is not part of the Lambda bundle');
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
