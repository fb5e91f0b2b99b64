import type { SecurityEventRecorder } from '../../events/recorder.ts';
import type { Logger } from '../../observability/logger.ts';
import type { RateCounter } from '../rate-limit.ts';
import type { Client, GrantType } from '../clients/client.ts';
import type { DpopProof } from '../dpop/proof.ts';
import type { ProofReplays } from '../dpop/replay.ts';
import type { DeviceStore } from '../device/device-request.ts';
import type { AccessTokenStore } from '../tokens/access-token-store.ts';
import type { CodeStore } from '../tokens/code.ts';
import type { FamilyStore } from '../tokens/family.ts';
import type { IssueDependencies, TokenResponse } from '../tokens/issue.ts';
import type { RevocationMarkers } from '../tokens/markers.ts';
import type { SuccessorDeriver } from '../tokens/successor.ts';

/** Everything a grant may use; each grant takes what it needs. */
export interface GrantDependencies extends IssueDependencies {
  readonly families: FamilyStore;
  readonly codes: CodeStore;
  readonly devices: DeviceStore;
  readonly accessTokens: AccessTokenStore;
  readonly markers: RevocationMarkers;
  readonly successors: SuccessorDeriver;
  readonly logger: Logger;
  readonly rates: RateCounter;
  /** DPoP proofs seen, for the grants no single-use token protects from a replayed proof. */
  readonly proofReplays: ProofReplays;
  /** Records the security events no change of an item shows (a rate limit tripped, an expired family seen). */
  readonly events?: SecurityEventRecorder | undefined;
  /** Called when a grant revokes a family (reuse, a replayed code): this function forgets what it cached about it. */
  readonly forgetFamily?: (familyId: string) => void;
}

/** An authenticated client's token request. */
export interface TokenRequest {
  readonly client: Client;
  readonly params: ReadonlyMap<string, string>;
  /** The request's DPoP proof (RFC 9449), already checked against the request; its replay is the grant's to refuse. */
  readonly proof?: DpopProof | undefined;
}

/** One grant type: every grant file exports one of these (RFC 6749 §4, §6; RFC 8628). */
export interface GrantHandler {
  readonly grantType: GrantType;
  handle(request: TokenRequest, deps: GrantDependencies): Promise<TokenResponse>;
}
