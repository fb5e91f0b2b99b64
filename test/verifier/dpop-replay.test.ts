import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DPOP_REPLAY_MEMORY_ENTRIES, MemoryDpopReplayStore } from '../../functions/verifier/dpop.ts';

const JKT = 'A'.repeat(43);
const now = Math.floor(Date.now() / 1000);

describe('MemoryDpopReplayStore (the default, bounded)', () => {
  it('answers true once per (jkt, jti) until the record expires', () => {
    const store = new MemoryDpopReplayStore();
    expect(store.firstUse(JKT, 'a', now + 90, now)).toBe(true);
    expect(store.firstUse(JKT, 'a', now + 90, now)).toBe(false);
    expect(store.firstUse(JKT, 'a', now + 90, now + 90)).toBe(false);
    expect(store.firstUse('B'.repeat(43), 'a', now + 90, now)).toBe(true);
    expect(store.firstUse(JKT, 'a', now + 200, now + 91)).toBe(true);
  });

  it('when full, drops the expired records first', () => {
    const store = new MemoryDpopReplayStore(3);
    store.firstUse(JKT, 'short', now + 1, now);
    store.firstUse(JKT, 'long-1', now + 100, now);
    store.firstUse(JKT, 'long-2', now + 100, now);
    expect(store.firstUse(JKT, 'new', now + 100, now + 2)).toBe(true);
    expect(store.size).toBe(3);
    expect(store.firstUse(JKT, 'long-1', now + 100, now + 2)).toBe(false);
    expect(store.firstUse(JKT, 'long-2', now + 100, now + 2)).toBe(false);
  });

  it('when full of live records, drops the oldest: memory stays bounded, and that one proof could pass again', () => {
    const store = new MemoryDpopReplayStore(3);
    for (const jti of ['1', '2', '3', '4']) expect(store.firstUse(JKT, jti, now + 100, now)).toBe(true);
    expect(store.size).toBe(3);
    expect(store.firstUse(JKT, '4', now + 100, now)).toBe(false);
    expect(store.firstUse(JKT, '3', now + 100, now)).toBe(false);
    expect(store.firstUse(JKT, '1', now + 100, now)).toBe(true);
  });

  it(`never holds more than ${DPOP_REPLAY_MEMORY_ENTRIES} records by default`, () => {
    const store = new MemoryDpopReplayStore();
    for (let index = 0; index < DPOP_REPLAY_MEMORY_ENTRIES * 2; index += 1) store.firstUse(JKT, `jti-${index}`, now + 100, now);
    expect(store.size).toBe(DPOP_REPLAY_MEMORY_ENTRIES);
  });

  it('property: within capacity, a pair answers true exactly once while its record lives', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(JKT, 'B'.repeat(43)), fc.string({ maxLength: 4 })), { maxLength: 60 }), (uses) => {
        const store = new MemoryDpopReplayStore(100);
        const accepted = new Set<string>();
        for (const [jkt, jti] of uses) {
          const first = store.firstUse(jkt, jti, now + 100, now);
          expect(first).toBe(!accepted.has(`${jkt}:${jti}`));
          accepted.add(`${jkt}:${jti}`);
        }
      }),
    );
  });
});
