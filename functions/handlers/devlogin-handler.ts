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
import { ADMIN_PAGE_CHALLENGE, adminPageAuthorized, type AdminAuth } from '../oauth/admin-auth.ts';
import { OAuthError } from '../oauth/errors.ts';
import { lifetimesPicture } from '../oauth/lifetimes-picture.ts';
import type { ClientRepository } from '../oauth/clients/client.ts';
import { readAdminEnvironment } from '../runtime/environment.ts';
import { acceptLogin, describeLogin, loginRedirectUri, rejectLogin, type LoginDependencies } from '../oauth/sessions/login.ts';
import { handlerServices, type HandlerRuntime } from '../runtime/handler-runtime.ts';
import { userCodeKeysFor } from '../runtime/successor.ts';
import { storeFor } from '../runtime/store.ts';
import { loginStores } from '../runtime/login-stores.ts';
import { lifetimeConfigFor } from '../runtime/lifetimes.ts';
import type { LifetimeConfigStore } from '../lifetimes/config.ts';
import { securityEventsFor } from '../runtime/events.ts';

/**
 * The development login page, served only by `npm start` (its routes are `localOnly`, so the
 * CDK stack never deploys it): it accepts whatever subject you type. In AWS, your own login
 * app does this through the admin API. Beside it, the picture of the local lifetimes
 * (`/admin/lifetimes.html`, admin token required).
 */
/**
 * A choice of the configured lifetime profiles, as a login app would make it (nothing when none
 * is configured, so the page stays as it was).
 */
function profileChoice(profiles: readonly string[]): string {
  if (profiles.length === 0) return '';
  const options = profiles.map((name) => `<option value="${escapeHtml(name)}">${escapeHtml(name)}</option>`).join('');
  return `<p><label>Lifetime profile <select name="lifetime_profile"><option value="">none</option>${options}</select></label></p>`;
}

async function configuredProfiles(lifetimes: Pick<LifetimeConfigStore, 'current'>): Promise<string[]> {
  // The page works without them (a parameters file that never loaded): it just offers no profile.
  return lifetimes.current().then((snapshot) => [...snapshot.profileNames].sort(), () => []);
}

/** The accept body's `lifetime_profile` from the form: absent when none was chosen. */
function chosenProfile(form: ReadonlyMap<string, string>): { lifetime_profile?: string } {
  const chosen = form.get('lifetime_profile');
  return chosen ? { lifetime_profile: chosen } : {};
}

/** The device page: what the device asks for (once a user code is known), and the form. */
function devicePage(userCode: string, described?: Record<string, unknown>, problem?: string, profiles: readonly string[] = []): string {
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
      profileChoice(profiles) +
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
  const lifetimes = lifetimeConfigFor(services);
  const events = securityEventsFor(services, store);
  const login = () => ({ issuer: core.issuer, clock, clients: store.clients(), loginRequests: logins.loginRequests(), lifetimes: lifetimes() });
  const devices = () => ({
    clock,
    clients: store.clients(),
    devices: store.devices(),
    userCodes: userCodes(),
    rates: store.rates(),
    metrics: services.metrics(),
    lifetimes: lifetimes(),
    events: events(),
  });
  const admin = readAdminEnvironment(runtime.env);
  const picture = () => ({ auth: admin, clients: store.clients(), lifetimes: lifetimes() });
  return lambdaHandler({ ...devLoginRoutes(login, devices, lifetimes), ...lifetimesPageRoute(picture) }, {
    logger: services.logger,
    metrics: services.metrics,
  });
}

/** `GET /admin/lifetimes.html`: the same page as `lifespan lifetimes explain --html --file …`, for the running configuration. */
function lifetimesPageRoute(
  deps: () => { auth: AdminAuth; clients: Pick<ClientRepository, 'get'>; lifetimes: Pick<LifetimeConfigStore, 'current'> },
): Record<string, RouteHandler> {
  return {
    'GET /admin/lifetimes.html': async (request) => {
      const { auth, ...rest } = deps();
      if (!adminPageAuthorized(auth, request.headers)) {
        const body = page('Admin token required', '<h1>Admin token required</h1><p>Give the admin token the server printed at start as the password (any user name), or send it as a bearer token.</p>');
        return html(401, body, { 'WWW-Authenticate': ADMIN_PAGE_CHALLENGE });
      }
      try {
        return html(200, await lifetimesPicture(rest, request.query, 'the local parameters file'));
      } catch (error) {
        if (!(error instanceof OAuthError) || error.status >= 500) throw error;
        return html(error.status, page('Lifetimes', `<h1>Lifetimes</h1><p>${escapeHtml(error.message)}</p>`));
      }
    },
  };
}

function devLoginRoutes(
  login: () => LoginDependencies,
  devices: () => DeviceVerificationDependencies,
  lifetimes: () => Pick<LifetimeConfigStore, 'current'>,
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
              profileChoice(await configuredProfiles(lifetimes())) +
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
            : await acceptLogin(login(), challenge, {
                subject: form.get('subject') ?? '',
                remember: form.get('remember') === 'true',
                amr: ['pwd'],
                ...chosenProfile(form),
              });
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
        const described = await describeDeviceRequest(devices(), userCode, { source: request.sourceIp });
        return html(200, devicePage(userCode, described, undefined, await configuredProfiles(lifetimes())));
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
        else await acceptDeviceRequest(devices(), userCode, { subject: form.get('subject') ?? '', amr: ['pwd'], ...chosenProfile(form) }, lookup);
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        return html(error.status, devicePage(userCode, undefined, error.message), { ...error.headers });
      }
      const outcome = reject ? 'The device was denied access.' : 'The device is connected.';
      return html(200, page('Lifespan development device login', `<h1>${escapeHtml(outcome)}</h1><p>You can return to your device.</p>`));
    },
  };
}

