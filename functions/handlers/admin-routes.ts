import type { HttpRequest } from '../http/request.ts';
import { jsonBody } from '../http/request.ts';
import { empty, json } from '../http/response.ts';
import type { RouteHandler } from '../http/handler.ts';
import { authorizeAdmin, type AdminAuth } from '../oauth/admin-auth.ts';
import { publicView, type ClientRepository } from '../oauth/clients/client.ts';
import { parseRegistration, registerClient } from '../oauth/clients/registration.ts';
import type { Clock } from '../oauth/clock.ts';
import {
  acceptDeviceRequest,
  describeDeviceRequest,
  rejectDeviceRequest,
  type DeviceVerificationDependencies,
} from '../oauth/device/verification.ts';
import { NotFound } from '../oauth/errors.ts';
import { revokeAll, revokeClient, userEvent, type BulkRevocationDependencies } from '../oauth/bulk-revocation.ts';
import { explainLifetimes } from '../oauth/explain-lifetimes.ts';
import { familyTimeline } from '../oauth/family-timeline.ts';
import type { FamilyStore, RotationHistory } from '../oauth/tokens/family.ts';
import type { RevocationMarkers } from '../oauth/tokens/markers.ts';
import { acceptLogin, describeLogin, rejectLogin, type LoginDependencies } from '../oauth/sessions/login.ts';
import { endFamily, endSession, eraseUser, type EndingDependencies } from '../oauth/users/ending.ts';
import { listFamilies, listSessions, type ListingDependencies } from '../oauth/users/listings.ts';
import type { Logger } from '../observability/logger.ts';

export interface AdminDependencies {
  readonly auth: AdminAuth;
  readonly clients: () => ClientRepository;
  readonly clock: Clock;
  readonly logger: () => Logger;
  readonly login: () => LoginDependencies;
  readonly devices: () => DeviceVerificationDependencies;
  readonly revocations: () => BulkRevocationDependencies & {
    readonly markers: Pick<RevocationMarkers, 'write' | 'validAfter'>;
    readonly families: Pick<FamilyStore, 'get'>;
    readonly history: Pick<RotationHistory, 'rotations'>;
    readonly clients: Pick<ClientRepository, 'get'>;
  };
  /** A user's families and sessions: listing them, ending one, erasing the user. */
  readonly users: () => ListingDependencies & EndingDependencies;
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
    'GET /admin/device-requests/{user_code}': admin(async (request) =>
      json(200, await describeDeviceRequest(deps.devices(), request.pathParameters['user_code'] ?? '')),
    ),
    'PUT /admin/device-requests/{user_code}/accept': admin(async (request) =>
      json(200, await acceptDeviceRequest(deps.devices(), request.pathParameters['user_code'] ?? '', jsonBody(request))),
    ),
    'PUT /admin/device-requests/{user_code}/reject': admin(async (request) =>
      json(200, await rejectDeviceRequest(deps.devices(), request.pathParameters['user_code'] ?? '', jsonBody(request))),
    ),
    'POST /admin/users/{subject}/events': admin(async (request) => {
      const result = await userEvent(deps.revocations(), request.pathParameters['subject'] ?? '', jsonBody(request));
      deps.logger().warn('user_event', { ...result });
      return json(200, result);
    }),
    'POST /admin/revocations': admin(async (request) => {
      const result = await revokeAll(deps.revocations(), jsonBody(request));
      deps.logger().warn('bulk_revocation', { ...result });
      return json(200, result);
    }),
    'GET /admin/families/{id}': admin(async (request) =>
      json(200, await familyTimeline(deps.revocations(), request.pathParameters['id'] ?? '')),
    ),
    'GET /admin/lifetimes': admin(async (request) => json(200, await explainLifetimes(deps.revocations(), request.query))),
    'GET /admin/users/{subject}/families': admin(async (request) =>
      json(200, await listFamilies(deps.users(), request.pathParameters['subject'], request.query)),
    ),
    'GET /admin/users/{subject}/sessions': admin(async (request) =>
      json(200, await listSessions(deps.users(), request.pathParameters['subject'], request.query)),
    ),
    'DELETE /admin/families/{id}': admin(async (request) => {
      const result = await endFamily(deps.users(), request.pathParameters['id']);
      deps.logger().warn('family_ended', { ...result });
      return empty(204);
    }),
    'DELETE /admin/sessions/{sid}': admin(async (request) => {
      const result = await endSession(deps.users(), request.pathParameters['sid'], request.query);
      deps.logger().warn('session_ended', { ...result });
      return empty(204);
    }),
    'DELETE /admin/users/{subject}': admin(async (request) => {
      const result = await eraseUser(deps.users(), request.pathParameters['subject']);
      deps.logger().warn('user_erased', { ...result });
      return empty(204);
    }),
    'DELETE /admin/clients/{id}': admin(async (request) => {
      const clientId = clientIdParameter(request);
      if (!(await deps.clients().get(clientId))) throw new NotFound('no such client');
      // The marker first: if the delete then fails, the client's tokens are dead anyway.
      const validAfter = await revokeClient(deps.revocations(), clientId);
      await deps.clients().delete(clientId);
      deps.logger().info('client_deleted', { client_id: clientId, valid_after: validAfter });
      return empty(204);
    }),
  };
}
