import { RemovalPolicy } from 'aws-cdk-lib';
import { Alias, Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export type SigningKeySpec = 'RSA_2048' | 'ECC_NIST_P256';

/** The two key slots. Rotation alternates between them; the names are just names. */
export type KeySlot = 'current' | 'next';

export interface SigningKeysProps {
  /** Used in the aliases `alias/lifespan/<stage>/signing-current` and `…/signing-next`. */
  readonly stage: string;
  /**
   * The key in the `current` slot. RSA_2048 signs RS256 (the default every OIDC library accepts,
   * and the cheaper KMS request price); ECC_NIST_P256 signs ES256 (smaller signatures). `'none'`
   * removes the slot once the `next` key signs and the old key's tokens have expired.
   * Never change the spec of a slot in use: CloudFormation would replace its key at once,
   * without the publish-then-switch of a rotation.
   * @default 'RSA_2048'
   */
  readonly keySpec?: SigningKeySpec | 'none';
  /**
   * The key in the `next` slot, for rotation: set it to publish a new key in the JWKS, wait for
   * caches, then switch with `activeSlot: 'next'`.
   * @default undefined (no second key)
   */
  readonly nextKeySpec?: SigningKeySpec;
  /**
   * Which slot signs. The other key, if any, stays published until every token it signed has
   * expired.
   * @default 'current'
   */
  readonly activeSlot?: KeySlot;
}

/** One KMS key in a slot, with its alias. */
export interface SlotKey {
  readonly slot: KeySlot;
  readonly key: Key;
  readonly alias: Alias;
  readonly spec: SigningKeySpec;
}

/** The KMS asymmetric keys that sign Lifespan's JWTs. Private key material never leaves KMS. */
export class SigningKeys extends Construct {
  /** The key that signs. */
  readonly active: SlotKey;
  /** Every key published in the JWKS, the active one first. */
  readonly published: readonly SlotKey[];

  constructor(scope: Construct, id: string, props: SigningKeysProps) {
    super(scope, id);
    const activeSlot = props.activeSlot ?? 'current';
    if (activeSlot !== 'current' && activeSlot !== 'next') throw new TypeError(`activeSlot must be current or next, not ${String(activeSlot)}`);
    const currentSpec = props.keySpec ?? 'RSA_2048';
    for (const [name, spec] of [['keySpec', currentSpec], ['nextKeySpec', props.nextKeySpec ?? 'none']] as const) {
      if (spec !== 'RSA_2048' && spec !== 'ECC_NIST_P256' && spec !== 'none') {
        throw new TypeError(`${name} must be RSA_2048 or ECC_NIST_P256, not ${String(spec)}`);
      }
    }
    if (activeSlot === 'next' && props.nextKeySpec === undefined) throw new TypeError('activeSlot "next" needs nextKeySpec');
    if (activeSlot === 'current' && currentSpec === 'none') throw new TypeError('keySpec "none" needs nextKeySpec and activeSlot "next"');

    const make = (slot: KeySlot, spec: SigningKeySpec): SlotKey => {
      const id = slot === 'current' ? 'Current' : 'Next';
      const key = new Key(this, id, {
        description: `Lifespan ${props.stage} JWT signing key (${slot} slot)`,
        keySpec: spec === 'RSA_2048' ? KeySpec.RSA_2048 : KeySpec.ECC_NIST_P256,
        keyUsage: KeyUsage.SIGN_VERIFY,
        // A deleted signing key invalidates every token it signed; a key leaving the stack is
        // kept, and an operator schedules its deletion (KMS then waits 7–30 days).
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const alias = new Alias(this, `${id}Alias`, { aliasName: `alias/lifespan/${props.stage}/signing-${slot}`, targetKey: key });
      return { slot, key, alias, spec };
    };
    const current = currentSpec === 'none' ? undefined : make('current', currentSpec);
    const next = props.nextKeySpec === undefined ? undefined : make('next', props.nextKeySpec);
    const active = activeSlot === 'next' ? next : current;
    // Both undefined cases were refused above.
    if (active === undefined) throw new TypeError(`no key in the active slot ${activeSlot}`);
    this.active = active;
    this.published = [active, ...[current, next].filter((slot): slot is SlotKey => slot !== undefined && slot !== active)];
  }
}
