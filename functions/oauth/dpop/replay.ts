/**
 * Port: the `jti`s of DPoP proofs seen recently (RFC 9449 §11.1), where no single-use token
 * already makes a replay fail. A refresh, a code exchange and a device grant need none: their
 * one conditional write consumes a token a replayed proof would need again. Client credentials
 * and `/userinfo` consume nothing, so they record the proof.
 */
export interface ProofReplays {
  /**
   * Records the proof (`jkt`, `jti`) until `until` (epoch seconds) and answers true, or answers
   * false when it was recorded before and has not yet expired: a replay.
   */
  firstUse(jkt: string, jti: string, until: number, now: number): Promise<boolean>;
}
