import { OAuthError } from '../errors.ts';
import { DPOP_SIGNING_ALGORITHMS, DpopProofRefused, proofHeader, verifyDpopProof } from './proof.ts';
import type { ProofReplays } from './replay.ts';

/** How an access token reached a protected resource: `Authorization: Bearer` (or a form body), or `Authorization: DPoP`. */
export type TokenScheme = 'Bearer' | 'DPoP';

const ALGS = `algs="${DPOP_SIGNING_ALGORITHMS.join(' ')}"`;

/**
 * A refusal at a protected resource (RFC 9449 §7.1, RFC 6750 §3): 401 with the challenge of the
 * scheme that applies — `DPoP error="…", algs="…"` for a proof or a DPoP-bound token, `Bearer`
 * otherwise.
 */
export class ResourceRefusal extends OAuthError {
  constructor(code: 'invalid_token' | 'invalid_dpop_proof', scheme: TokenScheme, description: string) {
    super(code, 401, description, {
      headers: {
        'WWW-Authenticate': scheme === 'DPoP' ? `DPoP realm="lifespan", error="${code}", ${ALGS}` : `Bearer realm="lifespan", error="${code}"`,
      },
    });
  }
}

/** The challenge of a request with no usable credentials: both schemes this server accepts. */
export const RESOURCE_CHALLENGE = `Bearer realm="lifespan", DPoP realm="lifespan", ${ALGS}`;

/**
 * The DPoP checks of a protected resource (RFC 9449 §7): a token bound to a key (`jkt`) comes
 * only with `Authorization: DPoP` and a proof of that key for this request and this token
 * (`ath`), never twice (`replays`); a token bound to nothing is never accepted as DPoP. A bound
 * token sent as a bearer token is refused: that is what a thief without the key would do.
 *
 * @throws ResourceRefusal
 */
export async function checkResourceProof(input: {
  readonly scheme: TokenScheme;
  readonly token: string;
  /** The key the token is bound to, if any (its `cnf.jkt`). */
  readonly jkt: string | undefined;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly method: string;
  readonly url: string;
  readonly now: number;
  readonly skew: number;
  readonly replays: ProofReplays;
}): Promise<void> {
  const { scheme, jkt } = input;
  if (jkt === undefined) {
    if (scheme === 'DPoP') throw new ResourceRefusal('invalid_token', 'DPoP', 'the access token is not DPoP-bound: send it as a Bearer token');
    return;
  }
  if (scheme !== 'DPoP') throw new ResourceRefusal('invalid_token', 'DPoP', 'the access token is DPoP-bound: send it with Authorization: DPoP and a proof');
  let proof;
  try {
    const header = proofHeader(input.headers);
    if (header === undefined) throw new DpopProofRefused('a DPoP proof is required with a DPoP-bound access token');
    proof = await verifyDpopProof(header, { method: input.method, url: input.url, now: input.now, skew: input.skew, accessToken: input.token });
  } catch (error) {
    if (error instanceof DpopProofRefused) throw new ResourceRefusal('invalid_dpop_proof', 'DPoP', error.message);
    throw error;
  }
  if (proof.jkt !== jkt) throw new ResourceRefusal('invalid_dpop_proof', 'DPoP', 'the DPoP proof is not of the key the access token is bound to');
  if (!(await input.replays.firstUse(proof.jkt, proof.jti, proof.replayableUntil, input.now))) {
    throw new ResourceRefusal('invalid_dpop_proof', 'DPoP', 'the DPoP proof was already used');
  }
}
