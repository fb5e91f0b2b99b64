/** Port: fixed-window counters (DynamoDB items that expire with their window). */
export interface RateCounter {
  /** Counts one more event under `key` in the window containing `now`; returns the count so far and when the window ends. */
  hit(key: string, windowSeconds: number, now: number): Promise<{ count: number; resetAt: number }>;
  /** The count so far under `key` in the window containing `now`, without counting anything. */
  peek(key: string, windowSeconds: number, now: number): Promise<{ count: number; resetAt: number }>;
}
