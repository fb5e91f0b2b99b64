/**
 * Port: derives the secret that succeeds a refresh-token secret, with a key only the server
 * holds. Deterministic, so a retry within the reuse interval gets the *same* successor without
 * the table holding anything recoverable; keyed, so an old token alone cannot produce it; and
 * chained, so a superseded token can be proven genuine (walk the chain forward to the current
 * hash) and told apart from a guess.
 */
export interface SuccessorDeriver {
  successor(familyId: string, generation: number, secret: string): Promise<string>;
}
