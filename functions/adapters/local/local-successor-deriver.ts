import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SuccessorDeriver } from '../../oauth/tokens/successor.ts';

/** HMAC-SHA-256 successor derivation with an in-memory key (local mode, and the KMS adapter's derived key). */
export class HmacSuccessorDeriver implements SuccessorDeriver {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length < 32) throw new TypeError('the successor key must be at least 256 bits');
    this.#key = Buffer.from(key);
  }

  async successor(familyId: string, generation: number, secret: string): Promise<string> {
    return createHmac('sha256', this.#key).update(`refresh-successor\0${familyId}\0${generation}\0${secret}`).digest('base64url');
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
