import { AuthorizationPageError } from '../oauth/errors.ts';
import type { RouteHandler } from '../http/handler.ts';
import { escapeHtml, page } from '../http/html.ts';
import { formAsQuery, type HttpRequest } from '../http/request.ts';
import { html, redirect, type HttpResponse } from '../http/response.ts';
import {
  authorize,
  completeLogin,
  loginVerifierParameter,
  type AuthorizeDependencies,
  type AuthorizeOutcome,
} from '../oauth/authorize.ts';
import { CONFIRMATION_FIELD, logout, type LogoutDependencies } from '../oauth/logout.ts';
import {
  clearLoginCookie,
  clearSessionCookie,
  cookiePolicyFor,
  loginCookie,
  loginCookieName,
  sessionCookie,
  sessionCookieName,
} from '../oauth/sessions/cookies.ts';

function toResponse(deps: AuthorizeDependencies, outcome: AuthorizeOutcome): HttpResponse {
  const policy = cookiePolicyFor(deps.issuer);
  const cookies: string[] = [];
  if (outcome.setSession) cookies.push(sessionCookie(policy, outcome.setSession.value, outcome.setSession.maxAge));
  if (outcome.setLoginBinding) cookies.push(loginCookie(policy, outcome.setLoginBinding.value, outcome.setLoginBinding.maxAge));
  if (outcome.clearLoginBinding) cookies.push(clearLoginCookie(policy));
  return redirect(outcome.location, cookies);
}

/** The page that asks the user to confirm a logout no valid `id_token_hint` vouched for; its form posts the token back. */
function confirmationPage(issuer: string, csrfToken: string, carry: Readonly<Record<string, string>>, retry: boolean): string {
  const hidden = Object.entries({ [CONFIRMATION_FIELD]: csrfToken, ...carry })
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return page(
    'Log out of Lifespan?',
    `<h1>Log out of Lifespan?</h1>` +
      (retry ? '<p><strong>That confirmation was not valid (or is too old): confirm again.</strong></p>' : '') +
      `<p>You will be signed out of every application that uses this Lifespan session in this browser.</p>` +
      `<form method="post" action="${escapeHtml(issuer)}/logout">${hidden}<p><button>Log out</button></p></form>`,
  );
}

/**
 * `GET|POST /logout` (RP-Initiated Logout). Without a valid `id_token_hint` the user confirms
 * first; that page's form may end at the validated `post_logout_redirect_uri`, so its CSP lists
 * that origin (browsers check form-action on every redirect hop).
 */
async function signOut(dependencies: LogoutDependencies, request: HttpRequest, confirmation: string | undefined): Promise<HttpResponse> {
  const policy = cookiePolicyFor(dependencies.issuer);
  const outcome = await logout(dependencies, request.query, request.cookies.get(sessionCookieName(policy)), confirmation);
  if (outcome.kind === 'confirm') {
    const body = confirmationPage(dependencies.issuer, outcome.csrfToken, outcome.carry, outcome.rejectedToken);
    return html(outcome.rejectedToken ? 400 : 200, body, {}, outcome.location ? [outcome.location] : []);
  }
  // A hint for another user leaves this browser's session (and its cookie) alone.
  const cookies = outcome.endedSession ? [clearSessionCookie(policy)] : [];
  if (outcome.location) return redirect(outcome.location, cookies);
  return { ...html(200, page('Signed out', '<h1>You are signed out</h1>')), cookies };
}

/**
 * `GET /authorize`. Errors about the client or its redirect URI are shown to the user (never
 * redirected: the redirect URI is not trusted yet); the rest go back to the client. Both leave
 * as thrown errors, through the one serializer (`http/errors.ts`).
 */
export function authorizeRoutes(deps: () => AuthorizeDependencies & LogoutDependencies): Record<string, RouteHandler> {
  const routes: Record<string, RouteHandler> = {
    'GET /logout': async (request: HttpRequest) => signOut(deps(), request, undefined),
    'GET /authorize': async (request: HttpRequest) => {
      const dependencies = deps();
      const policy = cookiePolicyFor(dependencies.issuer);
      const session = request.cookies.get(sessionCookieName(policy));
      const verifier = loginVerifierParameter(request.query);
      const outcome =
        verifier !== null
          ? await completeLogin(dependencies, verifier, { session, loginBinding: request.cookies.get(loginCookieName(policy)) })
          : await authorize(dependencies, request.query, { session });
      return toResponse(dependencies, outcome);
    },
  };
  // POST: the same endpoints with the parameters in a form body (OIDC Core §3.1.2.1,
  // RP-Initiated Logout §2). The session cookie is SameSite=Lax, so a cross-site POST carries
  // none: such a request always asks for a login (or, at /logout, ends nothing).
  const asForm =
    (get: RouteHandler, what: 'Sign-in' | 'Sign-out'): RouteHandler =>
    async (request) => {
      const query = formAsQuery(request);
      if (!query) throw new AuthorizationPageError('invalid_request', 'a POST must send an application/x-www-form-urlencoded body', { page: what, status: 415 });
      return get({ ...request, query });
    };
  routes['POST /authorize'] = asForm(routes['GET /authorize']!, 'Sign-in');
  // Only a POST can confirm a logout: the token never travels in a URL.
  routes['POST /logout'] = asForm((request) => signOut(deps(), request, request.query.get(CONFIRMATION_FIELD) ?? undefined), 'Sign-out');
  return routes;
}
