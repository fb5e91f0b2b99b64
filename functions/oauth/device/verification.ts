import type { ClientRepository } from '../clients/client.ts';
import { epochSeconds, type Clock } from '../clock.ts';
import { NotFound } from '../errors.ts';
import { parseAccept, parseReject } from '../sessions/login.ts';
import type { DeviceRequest, DeviceStore } from './device-request.ts';
import { formatUserCode, normaliseUserCode, type UserCodeKeys } from './user-code.ts';

export interface DeviceVerificationDependencies {
  readonly clock: Clock;
  readonly clients: Pick<ClientRepository, 'get'>;
  readonly devices: Pick<DeviceStore, 'findByUserCode' | 'accept' | 'reject'>;
  readonly userCodes: UserCodeKeys;
}

/** A device approval has no `remember`: there is no browser session to keep. */
const ACCEPT_FIELDS = new Set(['subject', 'acr', 'amr', 'claims']);
/** The only error RFC 8628 §3.5 defines for a denial. */
const REJECT_ERRORS = new Set(['access_denied']);
const UNKNOWN = 'no such device request, or it expired or was already handled';

/** The pending request a typed user code names, looked up by its keyed hash. */
async function pending(
  deps: DeviceVerificationDependencies,
  rawUserCode: string,
  now: number,
): Promise<{ userCode: string; deviceCodeHash: string; device: DeviceRequest }> {
  const userCode = normaliseUserCode(rawUserCode);
  if (!userCode) throw new NotFound(UNKNOWN);
  const found = await deps.devices.findByUserCode(await deps.userCodes.keyOf(userCode), now);
  if (!found || found.device.status !== 'pending') throw new NotFound(UNKNOWN);
  return { userCode, ...found };
}

/** `GET /admin/device-requests/{user_code}`: what the login app shows the user before they approve. */
export async function describeDeviceRequest(
  deps: DeviceVerificationDependencies,
  rawUserCode: string,
): Promise<Record<string, unknown>> {
  const { userCode, device } = await pending(deps, rawUserCode, epochSeconds(deps.clock));
  const client = await deps.clients.get(device.clientId);
  return {
    user_code: formatUserCode(userCode),
    client: { client_id: device.clientId, client_name: client?.clientName },
    requested_scope: device.scope,
    requested_audience: device.audience,
    expires_at: device.expiresAt,
  };
}

/** `PUT …/accept`: the login app vouches for the user; the device's next poll gets tokens. */
export async function acceptDeviceRequest(
  deps: DeviceVerificationDependencies,
  rawUserCode: string,
  body: Record<string, unknown>,
): Promise<{ status: 'accepted' }> {
  const now = epochSeconds(deps.clock);
  const { subject, acr, amr, claims } = parseAccept(body, now, ACCEPT_FIELDS);
  const { deviceCodeHash } = await pending(deps, rawUserCode, now);
  const approval = {
    subject,
    authTime: now,
    ...(acr !== undefined && { acr }),
    ...(amr !== undefined && { amr }),
    ...(claims !== undefined && { claims }),
  };
  if (!(await deps.devices.accept(deviceCodeHash, approval, now))) throw new NotFound(UNKNOWN);
  return { status: 'accepted' };
}

/** `PUT …/reject`: the device's next poll gets `access_denied`. */
export async function rejectDeviceRequest(
  deps: DeviceVerificationDependencies,
  rawUserCode: string,
  body: Record<string, unknown>,
): Promise<{ status: 'rejected' }> {
  const { description } = parseReject(body, REJECT_ERRORS);
  const now = epochSeconds(deps.clock);
  const { deviceCodeHash } = await pending(deps, rawUserCode, now);
  if (!(await deps.devices.reject(deviceCodeHash, description === undefined ? {} : { description }, now))) throw new NotFound(UNKNOWN);
  return { status: 'rejected' };
}
