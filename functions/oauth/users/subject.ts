import { InvalidRequest } from '../errors.ts';

/**
 * Subjects an admin route may look up: 1–255 characters, no control characters. Wider than what a
 * login may name now (printable ASCII, functions/oauth/sessions/login.ts), so a user whose subject
 * an earlier version accepted can still be listed, ended and erased.
 */
const SUBJECT = /^[^\u0000-\u001f]{1,255}$/;

/**
 * A subject from an admin route's path.
 *
 * @throws InvalidRequest for one no login could have given.
 */
export function subjectParameter(raw: string | undefined): string {
  if (raw === undefined || !SUBJECT.test(raw)) throw new InvalidRequest('subject must be 1–255 characters, without control characters');
  return raw;
}
