import { InvalidDpopProof } from '../errors.ts';
import type { Grant } from '../tokens/family.ts';
import type { DpopProof } from './proof.ts';

/**
 * What a grant binds to the request's DPoP key (RFC 9449 §5): the family a code exchange or a
 * device approval starts is bound to the key of its proof, for life; without a proof, to none.
 */
export function boundToProof<G extends Grant>(grant: G, proof: DpopProof | undefined): G {
  const { jkt: _unbound, ...rest } = grant;
  return (proof === undefined ? rest : { ...rest, jkt: proof.jkt }) as G;
}

/** The same proof sent again (its `jti`, recorded by the write that used it): refused, nothing changed. */
export function refuseReplayedProof(recordedJti: string | undefined, proof: DpopProof | undefined): void {
  if (proof !== undefined && recordedJti !== undefined && recordedJti === proof.jti) throw new InvalidDpopProof('the DPoP proof was already used');
}
