import type { RouteHandler } from '../http/handler.ts';
import { formBody, type HttpRequest } from '../http/request.ts';
import { json } from '../http/response.ts';
import { authenticateClient } from '../oauth/clients/authenticate.ts';
import type { ClientRepository } from '../oauth/clients/client.ts';
import { authorizeDevice, type DeviceAuthorizationDependencies } from '../oauth/device/authorization.ts';
import { InvalidClient } from '../oauth/errors.ts';
import type { Metrics } from '../observability/metrics.ts';

export interface DeviceRouteDependencies {
  readonly clients: () => Pick<ClientRepository, 'get'>;
  readonly authorization: () => DeviceAuthorizationDependencies;
  readonly metrics: () => Metrics;
}

/**
 * `POST /device_authorization` (RFC 8628 §3.1) as a list of steps: parse the form,
 * authenticate the client as the token endpoint does, authorize the device. Never cached.
 */
export function deviceRoutes(deps: DeviceRouteDependencies): Record<string, RouteHandler> {
  const deviceAuthorization: RouteHandler = async (request: HttpRequest) => {
    const params = formBody(request);
    const { client } = await authenticateClient({ headers: request.headers, form: params }, deps.clients()).catch((error: unknown) => {
      if (error instanceof InvalidClient) deps.metrics().count('InvalidClient', {});
      throw error;
    });
    return json(200, await authorizeDevice(deps.authorization(), client, params));
  };
  return { 'POST /device_authorization': deviceAuthorization };
}
