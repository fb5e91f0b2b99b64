import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatUserCode, newUserCode, normaliseUserCode, USER_CODE_ALPHABET } from '../../../functions/oauth/device/user-code.ts';

const userCode = fc.string({ unit: fc.constantFrom(...USER_CODE_ALPHABET), minLength: 8, maxLength: 8 });

describe('user codes', () => {
  it('are 8 letters of the consonant alphabet, with no vowel and nothing easily confused', () => {
    expect(USER_CODE_ALPHABET).toBe('BCDFGHJKLMNPQRSTVWXZ');
    for (let index = 0; index < 500; index += 1) expect(newUserCode()).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
  });

  it('use every letter of the alphabet (drawn uniformly with crypto randomness)', () => {
    const counts = new Map<string, number>();
    for (let index = 0; index < 1000; index += 1) for (const letter of newUserCode()) counts.set(letter, (counts.get(letter) ?? 0) + 1);
    expect([...counts.keys()].sort().join('')).toBe(USER_CODE_ALPHABET);
    // 8000 letters, 400 expected each: far outside these bounds only with a biased draw.
    for (const count of counts.values()) expect(count).toBeGreaterThan(250);
  });

  it('are shown grouped as XXXX-XXXX', () => {
    expect(formatUserCode('BCDFGHJK')).toBe('BCDF-GHJK');
  });

  it('are normalised: case-insensitive, dashes and spaces ignored', () => {
    fc.assert(
      fc.property(userCode, (code) => {
        expect(normaliseUserCode(code)).toBe(code);
        expect(normaliseUserCode(formatUserCode(code))).toBe(code);
        expect(normaliseUserCode(formatUserCode(code).toLowerCase())).toBe(code);
        expect(normaliseUserCode(` ${code.slice(0, 2)} ${code.slice(2, 5)}-${code.slice(5)}\t`)).toBe(code);
      }),
    );
  });

  it.each([
    ['too short', 'BCDF-GHJ'],
    ['too long', 'BCDF-GHJKL'],
    ['a vowel', 'BCDF-GHJA'],
    ['a digit', 'BCDF-GHJ1'],
    ['punctuation', 'BCDF.GHJK'],
    ['empty', ''],
    ['very long input', 'B'.repeat(1000)],
  ])('refuses %s', (_why, input) => {
    expect(normaliseUserCode(input)).toBeUndefined();
  });

  it('never throws, whatever is typed', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (input) => {
        const code = normaliseUserCode(input);
        if (code !== undefined) expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
      }),
    );
  });
});
