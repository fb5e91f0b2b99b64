import { randomBytes } from 'node:crypto';

/**
 * A refresh token is opaque to clients. Inside: the family id (which item to update), the
 * generation and the family's absolute expiry (so a refresh can compute the item's TTL and
 * check its condition without reading first), and a 256-bit secret stored only as a hash.
 * Tampering with any field fails the conditional write like a wrong secret does.
 */
export interface RefreshToken {
  readonly familyId: string;
  readonly generation: number;
  readonly absoluteExpiresAt: number;
  readonly secret: string;
}

const PREFIX = 'lsr_';
const FAMILY_BYTES = 16;
const SECRET_BYTES = 32;
const LENGTH = FAMILY_BYTES + 4 + 4 + SECRET_BYTES;

export function newFamilyId(): string {
  return randomBytes(FAMILY_BYTES).toString('base64url');
}

export function newRefreshSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

export function encodeRefreshToken(token: RefreshToken): string {
  const bytes = Buffer.alloc(LENGTH);
  Buffer.from(token.familyId, 'base64url').copy(bytes, 0);
  bytes.writeUInt32BE(token.generation, FAMILY_BYTES);
  bytes.writeUInt32BE(token.absoluteExpiresAt, FAMILY_BYTES + 4);
  Buffer.from(token.secret, 'base64url').copy(bytes, FAMILY_BYTES + 8);
  return PREFIX + bytes.toString('base64url');
}

/** `undefined` for anything that is not a well-formed Lifespan refresh token. */
export function decodeRefreshToken(value: string): RefreshToken | undefined {
  if (!value.startsWith(PREFIX) || value.length > 100) return undefined;
  const body = value.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) return undefined;
  const bytes = Buffer.from(body, 'base64url');
  if (bytes.length !== LENGTH || bytes.toString('base64url') !== body) return undefined;
  return {
    familyId: bytes.subarray(0, FAMILY_BYTES).toString('base64url'),
    generation: bytes.readUInt32BE(FAMILY_BYTES),
    absoluteExpiresAt: bytes.readUInt32BE(FAMILY_BYTES + 4),
    secret: bytes.subarray(FAMILY_BYTES + 8).toString('base64url'),
  };
}
