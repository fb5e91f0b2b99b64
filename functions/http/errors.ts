import { clientRedirect } from '../oauth/client-redirect.ts';
import { AuthorizationPageError, AuthorizationRedirectError, OAuthError, ServerError, TemporarilyUnavailable } from '../oauth/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { escapeHtml, page } from './html.ts';
import { html, json, redirect, type HttpResponse } from './response.ts';

/**
 * The one serializer of errors, for every form the client or user may get: `error` and
 * `error_description` (RFC 6749 §5.2) as JSON; at the client's redirect URI with `state` and
 * `iss` (§4.1.2.1, RFC 9207) for an {@link AuthorizationRedirectError}; as an HTML page for an
 * {@link AuthorizationPageError}. Only the public description leaves; the error's detail goes
 * to the request's log line (`oauth_error`). Anything that is not an {@link OAuthError}
 * becomes `server_error`, its detail logged as `unhandled_error`.
 */
export function errorResponse(error: unknown, logger: Logger, context: Record<string, unknown> = {}): HttpResponse {
  const known = error instanceof OAuthError ? error : undefined;
  if (known instanceof TemporarilyUnavailable) {
    const cause = known.cause instanceof Error ? known.cause.message : undefined;
    logger.warn('dependency_unavailable', { ...context, error: cause });
  } else if (!known || !known.expose) {
    logger.error('unhandled_error', {
      ...context,
      error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
    });
  } else if (known.detail !== undefined) {
    logger.info('oauth_error', { ...context, error: known.code, status: known.status, detail: known.detail });
  }
  const safe = known && known.expose ? known : new ServerError();
  if (safe instanceof AuthorizationRedirectError) {
    const params = { error: safe.code, error_description: safe.description, state: safe.state };
    return redirect(clientRedirect(safe.issuer, safe.redirectUri, params));
  }
  if (safe instanceof AuthorizationPageError) {
    const title = `${safe.page} error`;
    return html(safe.status, page(title, `<h1>${title}</h1><p><code>${escapeHtml(safe.code)}</code>: ${escapeHtml(safe.description)}</p>`), { ...safe.headers });
  }
  return json(safe.status, { error: safe.code, error_description: safe.description }, { ...safe.headers });
}
