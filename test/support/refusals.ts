import { OAuthError } from '../../functions/oauth/errors.ts';

/** The OAuthError a call must be refused with (anything else, or no refusal, fails the test). */
export async function refusal(promise: Promise<unknown>): Promise<OAuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OAuthError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

/** The RFC error code a call must be refused with. */
export const refusedWith = async (promise: Promise<unknown>): Promise<string> => (await refusal(promise)).code;
