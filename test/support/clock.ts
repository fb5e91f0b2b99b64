import type { Clock } from '../../functions/oauth/clock.ts';

/** A clock that moves only when told to. */
export class TestClock implements Clock {
  #now: number;

  constructor(start = Date.UTC(2026, 10, 22, 12, 0, 0)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Moves forward by whole seconds. */
  advance(seconds: number): void {
    this.#now += seconds * 1000;
  }

  get seconds(): number {
    return Math.floor(this.#now / 1000);
  }
}
