import { randomInt } from 'node:crypto';

/**
 * Consonants only, without the easily confused ones (no vowels: no words; RFC 8628 §6.1):
 * 20 letters, 8 of them give 20⁸ ≈ 2.6 × 10¹⁰ codes (≈ 34.5 bits).
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;

const NORMALISED = new RegExp(`^[${USER_CODE_ALPHABET}]{${USER_CODE_LENGTH}}$`);

/**
 * Port: the key a user code is stored under. A user code has ~34.5 bits, so a plain hash of it is
 * reversed from a table dump by trying every code: the key is an HMAC under a key only the server
 * holds (the refresh-successor key, domain-separated), so the table alone gives nothing away.
 */
export interface UserCodeKeys {
  /** The storage key of a normalised user code (deterministic: the same code, the same key). */
  keyOf(userCode: string): Promise<string>;
}

/** A new user code in normalised form (8 letters, no dash), each letter drawn uniformly with crypto randomness. */
export function newUserCode(): string {
  let code = '';
  for (let index = 0; index < USER_CODE_LENGTH; index += 1) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** The code as shown to people: `XXXX-XXXX`. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, USER_CODE_LENGTH / 2)}-${code.slice(USER_CODE_LENGTH / 2)}`;
}

/**
 * What a person typed, normalised: case-insensitive, dashes and white space ignored.
 * Undefined when it cannot be a user code (wrong length or a letter outside the alphabet).
 */
export function normaliseUserCode(input: string): string | undefined {
  if (input.length > 64) return undefined;
  const code = input.replace(/[\s-]/g, '').toUpperCase();
  return NORMALISED.test(code) ? code : undefined;
}
