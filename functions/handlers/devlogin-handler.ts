import { lambdaHandler, type RouteHandler } from '../http/handler.ts';
import { escapeHtml, page } from '../http/html.ts';
import { formBody } from '../http/request.ts';
import { html, redirect } from '../http/response.ts';
import {
  acceptDeviceRequest,
  describeDeviceRequest,
  rejectDeviceRequest,
  type DeviceVerificationDependencies,
} from '../oauth/device/verification.ts';
import { OAuthError } from '../oauth/errors.ts';
import { acceptLogin, describeLogin, loginRedirectUri, rejectLogin, type LoginDependencies } from '../oauth/sessions/login.ts';
import { handlerServices, type HandlerRuntime } from '../runtime/handler-runtime.ts';
import { userCodeKeysFor } from '../runtime/successor.ts';
import { storeFor } from '../runtime/store.ts';
import { loginStores } from '../runtime/login-stores.ts';
import { securityEventsFor } from '../runtime/events.ts';

/**
 * The development login page, served only by `npm start` (its routes are `localOnly`, so the
 * CDK stack never deploys it): it accepts whatever subject you type. In AWS, your own login
 * app does this through the admin API.
 */
/** The device page: what the device asks for (once a user code is known), and the form. */
function devicePage(userCode: string, described?: Record<string, unknown>, problem?: string): string {
  const client = described?.['client'] as { client_name?: string; client_id: string } | undefined;
  const asked = client
    ? `<p>${escapeHtml(client.client_name ?? client.client_id)} asks for ` +
      `<code>${escapeHtml((described!['requested_scope'] as string[]).join(' '))}</code>.</p>`
    : '';
  return page(
    'Lifespan development device login',
    `<h1>Connect a device</h1>${problem ? `<p><strong>${escapeHtml(problem)}</strong></p>` : ''}${asked}` +
      `<form method="post" action="/device">` +
      `<p><label>Code shown on the device <input name="user_code" required autocomplete="off" value="${escapeHtml(userCode)}"></label></p>` +
      `<p><label>Subject <input name="subject"${client ? ' autofocus' : ''}></label></p>` +
      `<p><button name="action" value="accept">Approve</button> <button name="action" value="reject" formnovalidate>Deny</button></p></form>` +
      `<p><small>Never deployed: in AWS your login app approves devices through the admin API.</small></p>`,
  );
}

export function createHandler(runtime: HandlerRuntime) {
  const services = handlerServices(runtime);
  const { core, clock } = services;
  if (!core.issuer.startsWith('http://127.0.0.1') && !core.issuer.startsWith('http://localhost')) {
    throw new Error('the development login page runs only with a loopback issuer');
  }
  const store = storeFor(services);
  const logins = loginStores(store);
  const userCodes = userCodeKeysFor(services);
  const events = securityEventsFor(services, store);
  const login = () => ({ issuer: core.issuer, clock, clients: store.clients(), loginRequests: logins.loginRequests() });
  const devices = () => ({
    clock,
    clients: store.clients(),
    devices: store.devices(),
    userCodes: userCodes(),
    rates: store.rates(),
    metrics: services.metrics(),
    events: events(),
  });
  return lambdaHandler(devLoginRoutes(login, devices), { logger: services.logger, metrics: services.metrics });
}

function devLoginRoutes(
  login: () => LoginDependencies,
  devices: () => DeviceVerificationDependencies,
): Record<string, RouteHandler> {
  return {
    'GET /login': async (request) => {
      const challenge = request.query.get('login_challenge') ?? '';
      try {
        const described = await describeLogin(login(), challenge);
        const client = described['client'] as { client_name?: string; client_id: string };
        // The submission ends at the client (`/login` → `/authorize` → its redirect URI), and
        // browsers check every hop against form-action.
        const redirectUri = await loginRedirectUri(login(), challenge);
        return html(
          200,
          page(
            'Lifespan development login',
            `<h1>Development login</h1><p>${escapeHtml(client.client_name ?? client.client_id)} asks for ` +
              `<code>${escapeHtml((described['requested_scope'] as string[]).join(' '))}</code>.</p>` +
              `<form method="post" action="/login"><input type="hidden" name="login_challenge" value="${escapeHtml(challenge)}">` +
              `<p><label>Subject <input name="subject" required autofocus value="${escapeHtml(String(described['subject'] ?? ''))}"></label></p>` +
              `<p><label><input type="checkbox" name="remember" value="true"> Remember me</label></p>` +
              `<p><button name="action" value="accept">Log in</button> <button name="action" value="reject" formnovalidate>Deny</button></p></form>` +
              `<p><small>Never deployed: in AWS your login app accepts logins through the admin API.</small></p>`,
          ),
          {},
          [redirectUri],
        );
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        return html(error.status, page('Login error', `<p>${escapeHtml(error.message)}</p>`));
      }
    },
    'POST /login': async (request) => {
      const form = formBody(request);
      const challenge = form.get('login_challenge') ?? '';
      try {
        const { redirect_to: location } =
          form.get('action') === 'reject'
            ? await rejectLogin(login(), challenge, {})
            : await acceptLogin(login(), challenge, { subject: form.get('subject') ?? '', remember: form.get('remember') === 'true', amr: ['pwd'] });
        return redirect(location);
      } catch (error) {
        // A subject the admin API refuses (say, not ASCII) is the typist's to fix: a page, not JSON.
        if (!(error instanceof OAuthError)) throw error;
        const retry = `/login?login_challenge=${encodeURIComponent(challenge)}`;
        return html(
          error.status,
          page('Login error', `<h1>Login error</h1><p>${escapeHtml(error.message)}</p><p><a href="${escapeHtml(retry)}">Try again</a></p>`),
        );
      }
    },
    'GET /device': async (request) => {
      const userCode = request.query.get('user_code') ?? '';
      if (userCode === '') return html(200, devicePage(''));
      try {
        return html(200, devicePage(userCode, await describeDeviceRequest(devices(), userCode, { source: request.sourceIp })));
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        return html(error.status, devicePage(userCode, undefined, error.message), { ...error.headers });
      }
    },
    'POST /device': async (request) => {
      const form = formBody(request);
      const userCode = form.get('user_code') ?? '';
      const reject = form.get('action') === 'reject';
      try {
        // The browser is the user here: its address is limited as well as everyone's (RFC 8628 §5.1).
        const lookup = { source: request.sourceIp };
        if (reject) await rejectDeviceRequest(devices(), userCode, {}, lookup);
        else await acceptDeviceRequest(devices(), userCode, { subject: form.get('subject') ?? '', amr: ['pwd'] }, lookup);
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        return html(error.status, devicePage(userCode, undefined, error.message), { ...error.headers });
      }
      const outcome = reject ? 'The device was denied access.' : 'The device is connected.';
      return html(200, page('Lifespan development device login', `<h1>${escapeHtml(outcome)}</h1><p>You can return to your device.</p>`));
    },
  };
}

