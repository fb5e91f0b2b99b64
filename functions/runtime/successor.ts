import { kmsClient } from './aws-clients.ts';
import { KmsSuccessorDeriver, KmsUserCodeKeys, type KmsMacClient } from '../adapters/kms/kms-successor-deriver.ts';
import { HmacSuccessorDeriver, HmacUserCodeKeys, loadOrCreateSuccessorKey } from '../adapters/local/local-successor-deriver.ts';
import type { UserCodeKeys } from '../oauth/device/user-code.ts';
import type { SuccessorDeriver } from '../oauth/tokens/successor.ts';
import type { SuccessorEnvironment } from './environment.ts';

export function successorFromEnvironment(environment: SuccessorEnvironment, client?: KmsMacClient): SuccessorDeriver {
  if (environment.kind === 'kms') return new KmsSuccessorDeriver({ client: client ?? kmsClient(), keyId: environment.macKeyId });
  let inner: Promise<SuccessorDeriver> | undefined;
  return {
    async successor(familyId, generation, secret) {
      inner ??= loadOrCreateSuccessorKey(environment.keyFile).then((key) => new HmacSuccessorDeriver(key));
      return (await inner).successor(familyId, generation, secret);
    },
  };
}

/** The keys device user codes are stored under: from the same server-held key as the successors. */
export function userCodeKeysFromEnvironment(environment: SuccessorEnvironment, client?: KmsMacClient): UserCodeKeys {
  if (environment.kind === 'kms') return new KmsUserCodeKeys({ client: client ?? kmsClient(), keyId: environment.macKeyId });
  let inner: Promise<UserCodeKeys> | undefined;
  return {
    async keyOf(userCode) {
      inner ??= loadOrCreateSuccessorKey(environment.keyFile).then((key) => new HmacUserCodeKeys(key));
      return (await inner).keyOf(userCode);
    },
  };
}
