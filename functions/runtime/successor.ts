import { kmsClient } from './aws-clients.ts';
import { KmsSuccessorDeriver, type KmsMacClient } from '../adapters/kms/kms-successor-deriver.ts';
import { HmacSuccessorDeriver, loadOrCreateSuccessorKey } from '../adapters/local/local-successor-deriver.ts';
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
