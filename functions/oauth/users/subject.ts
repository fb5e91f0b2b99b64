import { InvalidRequest } from '../errors.ts';

/** What a login may name as its subject (functions/oauth/sessions/login.ts): 1–255 characters, no control characters. */
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
