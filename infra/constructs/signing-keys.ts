import { RemovalPolicy } from 'aws-cdk-lib';
import { Alias, Key, KeySpec, KeyUsage, type IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export type SigningKeySpec = 'RSA_2048' | 'ECC_NIST_P256';

export interface SigningKeysProps {
  /** Used in the alias `alias/lifespan/<stage>/signing`. */
  readonly stage: string;
  /**
   * RSA_2048 signs RS256 (the default every OIDC library accepts); ECC_NIST_P256 signs ES256
   * (smaller tokens and signatures).
   * @default 'RSA_2048'
   */
  readonly keySpec?: SigningKeySpec;
  /**
   * A second key, for rotation: deploy with `nextKeySpec` set to publish the new key in the
   * JWKS, wait for caches (see README), then swap with `activeSlot: 'next'`.
   * @default undefined (no second key)
   */
  readonly nextKeySpec?: SigningKeySpec;
  /**
   * Which key signs. The other key, if any, stays published until every token it signed has
   * expired.
   * @default 'current'
   */
  readonly activeSlot?: 'current' | 'next';
}

/** The KMS asymmetric keys that sign Lifespan's JWTs. Private key material never leaves KMS. */
export class SigningKeys extends Construct {
  readonly active: IKey;
  /** Every key published in the JWKS, the active one first. */
  readonly published: readonly IKey[];

  constructor(scope: Construct, id: string, props: SigningKeysProps) {
    super(scope, id);
    const make = (slot: string, spec: SigningKeySpec) => {
      const key = new Key(this, slot, {
        description: `Lifespan ${props.stage} JWT signing key (${slot})`,
        keySpec: spec === 'RSA_2048' ? KeySpec.RSA_2048 : KeySpec.ECC_NIST_P256,
        keyUsage: KeyUsage.SIGN_VERIFY,
        // A deleted signing key invalidates every token it signed; KMS also waits 7–30 days.
        removalPolicy: RemovalPolicy.RETAIN,
      });
      new Alias(this, `${slot}Alias`, { aliasName: `alias/lifespan/${props.stage}/signing-${slot.toLowerCase()}`, targetKey: key });
      return key;
    };
    const current = make('Current', props.keySpec ?? 'RSA_2048');
    const next = props.nextKeySpec ? make('Next', props.nextKeySpec) : undefined;
    if (props.activeSlot === 'next' && !next) throw new TypeError('activeSlot "next" needs nextKeySpec');
    this.active = props.activeSlot === 'next' && next ? next : current;
    const other = this.active === current ? next : current;
    this.published = other ? [this.active, other] : [this.active];
  }
}
