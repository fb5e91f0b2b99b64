import { createHash } from 'node:crypto';
import { InvalidRequest } from '../errors.ts';
import type { ListPosition } from './subject-index.ts';

/** Which listing a cursor belongs to. */
export type CursorKind = 'families' | 'sessions';

const PAYLOAD = /^(families|sessions):(\d{1,12}):([A-Za-z0-9_-]{22})$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const MAX_CURSOR_LENGTH = 200;

function check(subject: string, payload: string): string {
  return createHash('sha256').update(`lifespan listing cursor\n${subject}\n${payload}`).digest('base64url').slice(0, 16);
}

/**
 * An opaque `next_cursor`: the listing and the position it resumes after, and a check bound to
 * the subject, so a cursor that was altered, cut short, or taken from another listing or another
 * user is refused rather than read. The check is not a secret: a cursor can only ever name a
 * place in the listing its URL already asks for, which the caller (an operator) may read anyway.
 */
export function encodeCursor(kind: CursorKind, subject: string, position: ListPosition): string {
  const payload = `${kind}:${position.createdAt}:${position.id}`;
  return `${Buffer.from(payload).toString('base64url')}.${check(subject, payload)}`;
}

/**
 * The position a cursor names.
 *
 * @throws InvalidRequest for anything {@link encodeCursor} did not make for this listing and subject.
 */
export function decodeCursor(kind: CursorKind, subject: string, cursor: string): ListPosition {
  const invalid = () => new InvalidRequest('cursor is malformed, or belongs to another listing');
  if (cursor.length > MAX_CURSOR_LENGTH) throw invalid();
  const [encoded, mac, ...rest] = cursor.split('.');
  if (!encoded || !mac || rest.length > 0 || !BASE64URL.test(encoded)) throw invalid();
  const payload = Buffer.from(encoded, 'base64url').toString('utf8');
  const match = PAYLOAD.exec(payload);
  if (!match || match[1] !== kind || mac !== check(subject, payload)) throw invalid();
  return { createdAt: Number(match[2]), id: match[3]! };
}
