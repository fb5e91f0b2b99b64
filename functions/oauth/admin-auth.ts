import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { AccessDenied, InvalidToken } from './errors.ts';
import { constantTimeEqual } from './secrets.ts';

export type AdminAuth = { readonly kind: 'iam' } | { readonly kind: 'token'; readonly token: string };

/**
 * The admin step. In AWS, API Gateway authorizes admin routes with IAM (SigV4) before the
 * function runs; the function still refuses a request that did not come through that
 * authorizer, in case a route is ever misconfigured. Locally, a bearer token.
 */
export function authorizeAdmin(
  auth: AdminAuth,
  request: { readonly headers: Readonly<Record<string, string>>; readonly event: APIGatewayProxyEventV2 },
): void {
  if (auth.kind === 'iam') {
    const context = request.event.requestContext as { authorizer?: { iam?: { userArn?: string } } };
    if (!context.authorizer?.iam) throw new AccessDenied('admin routes require IAM authorization');
    return;
  }
  const header = request.headers['authorization'] ?? '';
  const match = /^Bearer ([^\s]+)$/i.exec(header);
  if (!match) throw new InvalidToken('admin token required', { realm: 'lifespan-admin' });
  if (!constantTimeEqual(match[1]!, auth.token)) throw new InvalidToken('admin token is not valid', { realm: 'lifespan-admin' });
}

/**
 * The admin step of a page a person opens in a browser (the development server's
 * `/admin/lifetimes.html`): the admin token as a bearer token, or as the password of HTTP Basic
 * authentication (any user name), which a browser asks for by itself when answered with a Basic
 * challenge. Token authorization only: such pages are never deployed.
 */
export function adminPageAuthorized(auth: AdminAuth, headers: Readonly<Record<string, string>>): boolean {
  if (auth.kind !== 'token') return false;
  const header = headers['authorization'] ?? '';
  const bearer = /^Bearer ([^\s]+)$/i.exec(header);
  if (bearer) return constantTimeEqual(bearer[1]!, auth.token);
  const basic = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header);
  if (!basic) return false;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && constantTimeEqual(decoded.slice(colon + 1), auth.token);
}

/** The challenges of a refused admin page: a browser prompts for Basic, a script may send Bearer. */
export const ADMIN_PAGE_CHALLENGE = 'Basic realm="lifespan-admin", charset="UTF-8", Bearer realm="lifespan-admin"';
