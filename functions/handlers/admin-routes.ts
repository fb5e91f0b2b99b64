import type { HttpRequest } from '../http/request.ts';
import { jsonBody } from '../http/request.ts';
import { empty, json } from '../http/response.ts';
import type { RouteHandler } from '../http/handler.ts';
import { authorizeAdmin, type AdminAuth } from '../oauth/admin-auth.ts';
import { publicView, type ClientRepository } from '../oauth/clients/client.ts';
import { parseRegistration, registerClient } from '../oauth/clients/registration.ts';
import type { Clock } from '../oauth/clock.ts';
import { NotFound } from '../oauth/errors.ts';
import { acceptLogin, describeLogin, rejectLogin, type LoginDependencies } from '../oauth/sessions/login.ts';
import type { Logger } from '../observability/logger.ts';

export interface AdminDependencies {
  readonly auth: AdminAuth;
  readonly clients: () => ClientRepository;
  readonly clock: Clock;
  readonly logger: () => Logger;
  readonly login: () => LoginDependencies;
}

const CLIENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

function clientIdParameter(request: HttpRequest): string {
  const id = request.pathParameters['id'] ?? '';
  if (!CLIENT_ID.test(id)) throw new NotFound('no such client');
  return id;
}

/** The admin API's routes, each: authorize, parse, act, answer. */
export function adminRoutes(deps: AdminDependencies): Record<string, RouteHandler> {
  const admin = (handle: RouteHandler): RouteHandler => async (request) => {
    authorizeAdmin(deps.auth, request);
    return handle(request);
  };
  return {
    'POST /admin/clients': admin(async (request) => {
      const registration = parseRegistration(jsonBody(request));
      const { client, secret } = await registerClient(registration, { clients: deps.clients(), clock: deps.clock });
      deps.logger().info('client_registered', { client_id: client.clientId, type: client.type });
      return json(201, { ...publicView(client), ...(secret !== undefined && { client_secret: secret, client_secret_expires_at: 0 }) });
    }),
    'GET /admin/clients/{id}': admin(async (request) => {
      const client = await deps.clients().get(clientIdParameter(request));
      if (!client) throw new NotFound('no such client');
      return json(200, publicView(client));
    }),
    'GET /admin/login-requests/{challenge}': admin(async (request) =>
      json(200, await describeLogin(deps.login(), request.pathParameters['challenge'] ?? '')),
    ),
    'PUT /admin/login-requests/{challenge}/accept': admin(async (request) =>
      json(200, await acceptLogin(deps.login(), request.pathParameters['challenge'] ?? '', jsonBody(request))),
    ),
    'PUT /admin/login-requests/{challenge}/reject': admin(async (request) =>
      json(200, await rejectLogin(deps.login(), request.pathParameters['challenge'] ?? '', jsonBody(request))),
    ),
    'DELETE /admin/clients/{id}': admin(async (request) => {
      const clientId = clientIdParameter(request);
      if (!(await deps.clients().delete(clientId))) throw new NotFound('no such client');
      deps.logger().info('client_deleted', { client_id: clientId });
      return empty(204);
    }),
  };
}
