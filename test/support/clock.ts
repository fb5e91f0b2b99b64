import type { Clock } from '../../functions/oauth/clock.ts';

/**
 * A clock that moves only when told to. It starts at the real now, never at a calendar date:
 * DynamoDB Local deletes TTL-expired items on the real clock, so a fixed start would, once the
 * calendar passes it, turn into items vanishing under a test. Tests move it forward only.
 */
export class TestClock implements Clock {
  #now: number;

  constructor(start = Date.now()) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Moves forward by whole seconds. */
  advance(seconds: number): void {
    if (seconds < 0) throw new RangeError('a test clock only moves forward');
    this.#now += seconds * 1000;
  }

  get seconds(): number {
    return Math.floor(this.#now / 1000);
  }
}
