import type { LifetimeConfigStore } from '../../lifetimes/config.ts';
import { GRANT_TYPES, type Client } from '../clients/client.ts';
import { epochSeconds, type Clock } from '../clock.ts';
import { ServerError, UnauthorizedClient } from '../errors.ts';
import { grantedAudience, grantedScope } from '../scopes.ts';
import { hashSecret, randomSecret } from '../secrets.ts';
import { lifetimesFor } from '../tokens/issue.ts';
import { DEFAULT_POLL_INTERVAL, type DeviceRequest, type DeviceStore } from './device-request.ts';
import { formatUserCode, newUserCode, type UserCodeKeys } from './user-code.ts';

export interface DeviceAuthorizationDependencies {
  readonly issuer: string;
  readonly clock: Clock;
  readonly lifetimes: Pick<LifetimeConfigStore, 'current'>;
  readonly devices: Pick<DeviceStore, 'create'>;
  /** The keyed hash the user code is stored under (never a plain hash: 34.5 bits are quickly tried). */
  readonly userCodes: UserCodeKeys;
  /** Where the user enters the code: the login app's device page (`LIFESPAN_DEVICE_VERIFICATION_URL`). */
  readonly verificationUri: string;
}

/** The device authorization response (RFC 8628 §3.2). */
export interface DeviceAuthorizationResponse {
  readonly device_code: string;
  readonly user_code: string;
  readonly verification_uri: string;
  readonly verification_uri_complete: string;
  readonly expires_in: number;
  readonly interval: number;
}

/** 20⁸ codes make a collision rare; a handful of tries make failing for it practically impossible. */
const USER_CODE_ATTEMPTS = 5;

/** A device code: 256 random bits, with a prefix that secret scanners can recognise. */
export function newDeviceCode(): string {
  return `lsd_${randomSecret(32)}`;
}

/**
 * `POST /device_authorization` (RFC 8628 §3.1–3.2) for an authenticated client: checks the
 * client may use the grant and what it asks for, stores the request by hash of the device
 * code with a pointer from its user code (keyed with the server's key), and answers with both codes.
 */
export async function authorizeDevice(
  deps: DeviceAuthorizationDependencies,
  client: Client,
  params: ReadonlyMap<string, string>,
): Promise<DeviceAuthorizationResponse> {
  if (!client.grantTypes.includes(GRANT_TYPES.deviceCode)) {
    throw new UnauthorizedClient(`this client may not use ${GRANT_TYPES.deviceCode}`);
  }
  const scope = grantedScope(client, params.get('scope'));
  const audience = grantedAudience(client, params.get('resource'), deps.issuer);
  const ttl = (await lifetimesFor(deps, client, audience)).device_code_ttl.value;
  const now = epochSeconds(deps.clock);
  const deviceCode = newDeviceCode();
  const device: DeviceRequest = {
    clientId: client.clientId,
    scope,
    audience,
    status: 'pending',
    createdAt: now,
    expiresAt: now + ttl,
    interval: DEFAULT_POLL_INTERVAL,
  };
  for (let attempt = 0; attempt < USER_CODE_ATTEMPTS; attempt += 1) {
    const userCode = newUserCode();
    if (!(await deps.devices.create(hashSecret(deviceCode), await deps.userCodes.keyOf(userCode), device))) continue;
    const complete = new URL(deps.verificationUri);
    complete.searchParams.set('user_code', formatUserCode(userCode));
    return {
      device_code: deviceCode,
      user_code: formatUserCode(userCode),
      verification_uri: deps.verificationUri,
      verification_uri_complete: complete.toString(),
      expires_in: ttl,
      interval: DEFAULT_POLL_INTERVAL,
    };
  }
  throw new ServerError('could not allocate a unique user code');
}
