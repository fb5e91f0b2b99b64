/**
 * Every HTTP route of Lifespan and the handler group (Lambda function) that serves it. The
 * CDK stack creates API Gateway routes from this list and the local server matches against
 * it, so both expose exactly the same surface. Discovery also reads it: an endpoint is
 * advertised only when its route exists.
 */
export type HandlerGroup = 'discovery' | 'authorize' | 'token' | 'userinfo' | 'admin' | 'devlogin';

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS';
  readonly path: string;
  readonly group: HandlerGroup;
  /** `admin` routes are IAM-authorized in AWS and bearer-token-authorized locally. */
  readonly access: 'public' | 'admin';
  /** Served only by the local server (the dev login page); never deployed. */
  readonly localOnly?: boolean;
}

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/.well-known/openid-configuration', group: 'discovery', access: 'public' },
  { method: 'GET', path: '/.well-known/oauth-authorization-server', group: 'discovery', access: 'public' },
  { method: 'GET', path: '/jwks.json', group: 'discovery', access: 'public' },
  { method: 'GET', path: '/authorize', group: 'authorize', access: 'public' },
  // OIDC Core §3.1.2.1: the authorization endpoint MUST support GET and POST (form body).
  { method: 'POST', path: '/authorize', group: 'authorize', access: 'public' },
  { method: 'POST', path: '/token', group: 'token', access: 'public' },
  { method: 'POST', path: '/device_authorization', group: 'token', access: 'public' },
  { method: 'POST', path: '/revoke', group: 'token', access: 'public' },
  { method: 'POST', path: '/introspect', group: 'token', access: 'public' },
  { method: 'GET', path: '/userinfo', group: 'userinfo', access: 'public' },
  // OIDC Core §5.3.1: GET and POST.
  { method: 'POST', path: '/userinfo', group: 'userinfo', access: 'public' },
  { method: 'OPTIONS', path: '/userinfo', group: 'userinfo', access: 'public' },
  { method: 'OPTIONS', path: '/token', group: 'token', access: 'public' },
  { method: 'GET', path: '/logout', group: 'authorize', access: 'public' },
  // RP-Initiated Logout 1.0 §2: GET and POST.
  { method: 'POST', path: '/logout', group: 'authorize', access: 'public' },
  { method: 'POST', path: '/admin/clients', group: 'admin', access: 'admin' },
  { method: 'GET', path: '/admin/clients/{id}', group: 'admin', access: 'admin' },
  { method: 'DELETE', path: '/admin/clients/{id}', group: 'admin', access: 'admin' },
  { method: 'GET', path: '/admin/login-requests/{challenge}', group: 'admin', access: 'admin' },
  { method: 'PUT', path: '/admin/login-requests/{challenge}/accept', group: 'admin', access: 'admin' },
  { method: 'PUT', path: '/admin/login-requests/{challenge}/reject', group: 'admin', access: 'admin' },
  { method: 'GET', path: '/admin/device-requests/{user_code}', group: 'admin', access: 'admin' },
  { method: 'PUT', path: '/admin/device-requests/{user_code}/accept', group: 'admin', access: 'admin' },
  { method: 'PUT', path: '/admin/device-requests/{user_code}/reject', group: 'admin', access: 'admin' },
  { method: 'POST', path: '/admin/users/{subject}/events', group: 'admin', access: 'admin' },
  { method: 'POST', path: '/admin/revocations', group: 'admin', access: 'admin' },
  { method: 'GET', path: '/admin/families/{id}', group: 'admin', access: 'admin' },
  { method: 'GET', path: '/admin/lifetimes', group: 'admin', access: 'admin' },
  { method: 'GET', path: '/admin/users/{subject}/families', group: 'admin', access: 'admin' },
  { method: 'GET', path: '/admin/users/{subject}/sessions', group: 'admin', access: 'admin' },
  { method: 'DELETE', path: '/admin/families/{id}', group: 'admin', access: 'admin' },
  { method: 'DELETE', path: '/admin/sessions/{sid}', group: 'admin', access: 'admin' },
  { method: 'DELETE', path: '/admin/users/{subject}', group: 'admin', access: 'admin' },
  { method: 'GET', path: '/login', group: 'devlogin', access: 'public', localOnly: true },
  { method: 'POST', path: '/login', group: 'devlogin', access: 'public', localOnly: true },
  { method: 'GET', path: '/device', group: 'devlogin', access: 'public', localOnly: true },
  { method: 'POST', path: '/device', group: 'devlogin', access: 'public', localOnly: true },
  // The picture of the local configuration's lifetimes (in AWS: `npx lifespan lifetimes explain --html`).
  { method: 'GET', path: '/admin/lifetimes.html', group: 'devlogin', access: 'admin', localOnly: true },
];

export const routeKey = (route: Pick<Route, 'method' | 'path'>): string => `${route.method} ${route.path}`;

export function hasRoute(method: Route['method'], path: string): boolean {
  return ROUTES.some((route) => route.method === method && route.path === path);
}
