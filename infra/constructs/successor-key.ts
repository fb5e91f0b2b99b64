import { RemovalPolicy } from 'aws-cdk-lib';
import { Alias, Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface SuccessorKeyProps {
  /** Used in the alias `alias/lifespan/<stage>/refresh-successor`. */
  readonly stage: string;
}

/**
 * The KMS HMAC key from which the token function derives refresh-token successors, and the token
 * and admin functions the keys device user codes are stored under (`GenerateMac` over a fixed
 * label per use, once per cold start; functions/adapters/kms). Its material never leaves KMS and
 * cannot rotate. A new key would break the successor chain that tells a reused refresh token
 * from a forged one (and retries within the reuse interval), and orphan the device requests
 * pending at that moment, so the key is retained and must never be replaced.
 */
export class SuccessorKey extends Construct {
  readonly key: Key;
  readonly alias: Alias;

  constructor(scope: Construct, id: string, props: SuccessorKeyProps) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: `Lifespan ${props.stage} refresh-token successor key (HMAC)`,
      keySpec: KeySpec.HMAC_256,
      keyUsage: KeyUsage.GENERATE_VERIFY_MAC,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.alias = new Alias(this, 'Alias', { aliasName: `alias/lifespan/${props.stage}/refresh-successor`, targetKey: this.key });
  }
}
