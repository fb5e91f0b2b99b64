import { errorDescription, OAuthError, ServerError, TemporarilyUnavailable } from '../oauth/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { json, type HttpResponse } from './response.ts';

/**
 * The one serializer of errors: `error` and `error_description` only (RFC 6749 §5.2).
 * Anything that is not an {@link OAuthError} becomes `server_error`; its detail goes to the log.
 */
export function errorResponse(error: unknown, logger: Logger, context: Record<string, unknown> = {}): HttpResponse {
  const known = error instanceof OAuthError ? error : undefined;
  if (known instanceof TemporarilyUnavailable) {
    const cause = known.cause instanceof Error ? known.cause.message : undefined;
    logger.warn('dependency_unavailable', { ...context, ...(cause !== undefined && { error: cause }) });
  } else if (!known || !known.expose) {
    logger.error('unhandled_error', {
      ...context,
      error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
    });
  }
  const safe = known && known.expose ? known : new ServerError();
  return json(safe.status, { error: safe.code, error_description: errorDescription(safe.message) }, { ...safe.headers });
}
