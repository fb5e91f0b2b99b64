/** Time source, injected everywhere so tests can freeze and move it. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Whole seconds since the epoch, the unit of JWT claims and the DynamoDB TTL attribute. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}
