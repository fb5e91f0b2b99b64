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
