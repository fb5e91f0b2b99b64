import type { ResolvedLifetimes } from '../../lifetimes/resolver.ts';
import type { Client } from '../clients/client.ts';
import { InvalidDpopProof, UseDpopNonce } from '../errors.ts';
import type { DpopNonces } from './nonce.ts';
import { DpopProofRefused, proofHeader, verifyDpopProof, type DpopProof } from './proof.ts';

/** What the token endpoint learned of a request's DPoP proof. */
export interface TokenProof {
  readonly proof?: DpopProof;
  /** A fresh server nonce for the response's `DPoP-Nonce`, when the client must send one (§8.2). */
  readonly nextNonce?: string;
}

/**
 * The DPoP steps of `POST /token` (RFC 9449 §5): the one proof, checked against this endpoint,
 * and — for a client with `dpop_nonce_required` — a server nonce of this deployment's. A client
 * registered with `dpop_bound_access_tokens` must send one. Replay is the grant's to refuse:
 * most grants consume a single use a replayed proof would need again.
 *
 * @throws InvalidDpopProof when the proof is missing where required or fails a check.
 * @throws UseDpopNonce when only the nonce is missing or stale (with a new one in `DPoP-Nonce`).
 */
export async function tokenRequestProof(input: {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly client: Client;
  readonly tokenEndpoint: string;
  readonly lifetimes: ResolvedLifetimes;
  readonly nonces: () => DpopNonces;
  readonly now: number;
  /** At /token a client registered with `dpop_bound_access_tokens` must send one. @default true */
  readonly requiredOfBoundClients?: boolean;
}): Promise<TokenProof> {
  const { client, lifetimes, now } = input;
  let proof: DpopProof | undefined;
  try {
    const header = proofHeader(input.headers);
    if (header === undefined) {
      if (client.dpopBoundAccessTokens && input.requiredOfBoundClients !== false) throw new InvalidDpopProof('this client must send a DPoP proof (dpop_bound_access_tokens)');
      return {};
    }
    proof = await verifyDpopProof(header, { method: 'POST', url: input.tokenEndpoint, now, skew: lifetimes.clock_skew_tolerance.value });
  } catch (error) {
    if (error instanceof DpopProofRefused) throw new InvalidDpopProof(error.message);
    throw error;
  }
  if (!lifetimes.dpop_nonce_required.value) return { proof };
  const nonces = input.nonces();
  if (proof.nonce === undefined || !(await nonces.accepts(proof.nonce, now))) throw new UseDpopNonce(await nonces.issue(now));
  return { proof, nextNonce: await nonces.issue(now) };
}
