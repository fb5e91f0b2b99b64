import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { UserCodeKeys } from '../../oauth/device/user-code.ts';
import type { SuccessorDeriver } from '../../oauth/tokens/successor.ts';

function checkedKey(key: Uint8Array, what: string): Buffer {
  if (key.length < 32) throw new TypeError(`the ${what} key must be at least 256 bits`);
  return Buffer.from(key);
}

/** HMAC-SHA-256 successor derivation with an in-memory key (local mode, and the KMS adapter's derived key). */
export class HmacSuccessorDeriver implements SuccessorDeriver {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    this.#key = checkedKey(key, 'successor');
  }

  async successor(familyId: string, generation: number, secret: string): Promise<string> {
    return createHmac('sha256', this.#key).update(`refresh-successor\0${familyId}\0${generation}\0${secret}`).digest('base64url');
  }
}

/**
 * User-code storage keys: HMAC-SHA-256 with an in-memory key. Locally that is the successor key
 * file's key, the label keeping the two uses apart (no message of one is a message of the other);
 * in AWS a key KMS derives for this use alone.
 */
export class HmacUserCodeKeys implements UserCodeKeys {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    this.#key = checkedKey(key, 'user-code');
  }

  async keyOf(userCode: string): Promise<string> {
    return createHmac('sha256', this.#key).update(`device-user-code\0${userCode}`).digest('base64url');
  }
}

/** Reads the local key file, creating it (mode 0600) with 256 random bits on first use. */
export async function loadOrCreateSuccessorKey(path: string): Promise<Buffer> {
  try {
    const key = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64url');
    if (key.length < 32) throw new Error(`${path} does not hold a 256-bit key`);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(path), { recursive: true });
  const key = randomBytes(32);
  try {
    await writeFile(path, `${key.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    // Another process created it first: use theirs, so both derive the same successors.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateSuccessorKey(path);
    throw error;
  }
}
