import type { LifetimeConfigStore } from '../../lifetimes/config.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { ClientRepository } from '../clients/client.ts';
import { epochSeconds, type Clock } from '../clock.ts';
import { NotFound, TooManyRequests } from '../errors.ts';
import { rateLimitTripped, type RateCounter } from '../rate-limit.ts';
import type { SecurityEventRecorder } from '../../events/recorder.ts';
import { hashSecret } from '../secrets.ts';
import { authenticationOf } from '../sessions/authentication.ts';
import { parseAccept, parseReject, requireLifetimeProfile } from '../sessions/login.ts';
import type { DeviceRequest, DeviceStore } from './device-request.ts';
import { formatUserCode, normaliseUserCode, type UserCodeKeys } from './user-code.ts';

export interface DeviceVerificationDependencies {
  readonly clock: Clock;
  readonly clients: Pick<ClientRepository, 'get'>;
  readonly devices: Pick<DeviceStore, 'findByUserCode' | 'accept' | 'reject'>;
  readonly userCodes: UserCodeKeys;
  readonly rates: RateCounter;
  readonly metrics: Metrics;
  /** The lifetime profiles an approval may choose; without it none is known (every `lifetime_profile` is refused). */
  readonly lifetimes?: Pick<LifetimeConfigStore, 'current'>;
  /** Records a tripped lookup limit (once per limit and minute). */
  readonly events?: SecurityEventRecorder;
}

/**
 * Who is typing the user code, where known: the address of the browser on the development device
 * page. The admin API's caller is the login app, not the user, so there only the global limit
 * applies (a login app should limit its own device page per user as well).
 */
export interface Lookup {
  readonly source?: string;
}

/**
 * RFC 8628 §5.1: failed user-code lookups allowed per window, from one source and in all. A user
 * code has ~34.5 bits (20⁸ codes): at 100 failures a minute for everyone together, a guesser gets
 * 500 tries in a 5-minute code lifetime, odds of about 2 × 10⁻⁵ even with 1,000 codes pending at
 * once. Past a limit every lookup, right or wrong, is refused until the window ends: a right code
 * must not be accepted there, or the limit would not stop guessing. A fixed property of the code,
 * not a lifetime to tune, hence constants.
 */
export const USER_CODE_FAILURES = { windowSeconds: 60, perSource: 10, total: 100 } as const;

/** A device approval has no `remember`: there is no browser session to keep. */
const ACCEPT_FIELDS = new Set(['subject', 'acr', 'amr', 'claims', 'lifetime_profile']);
/** The only error RFC 8628 §3.5 defines for a denial. */
const REJECT_ERRORS = new Set(['access_denied']);
const UNKNOWN = 'no such device request, or it expired or was already handled';

/** The counters a lookup is limited by: everyone's, and its source's (by hash: no address is stored). */
function counters(lookup: Lookup): Array<{ key: string; limit: number }> {
  const all = [{ key: 'usercode#all', limit: USER_CODE_FAILURES.total }];
  return lookup.source ? [...all, { key: `usercode#source#${hashSecret(lookup.source)}`, limit: USER_CODE_FAILURES.perSource }] : all;
}

async function limited(deps: DeviceVerificationDependencies, key: string, resetAt: number, now: number): Promise<TooManyRequests> {
  deps.metrics.count('RateLimited', { Limit: 'user_code_failures' });
  // The per-source key is an address's hash: it only derives the event's id, and is not in the event.
  await rateLimitTripped(deps.events, 'user_code_failures', key, resetAt);
  return new TooManyRequests(resetAt - now, 'too many failed user code lookups: wait and try again');
}

/** Before a lookup: past either limit, refused without looking (right codes included). */
async function guard(deps: DeviceVerificationDependencies, lookup: Lookup, now: number): Promise<void> {
  const counts = await Promise.all(
    counters(lookup).map(async ({ key, limit }) => ({ key, limit, ...(await deps.rates.peek(key, USER_CODE_FAILURES.windowSeconds, now)) })),
  );
  const over = counts.find(({ count, limit }) => count >= limit);
  if (over) throw await limited(deps, over.key, over.resetAt, now);
}

/** A lookup that found nothing pending: counted; the one that crosses a limit is answered 429. */
async function failed(deps: DeviceVerificationDependencies, lookup: Lookup, now: number): Promise<never> {
  const counts = await Promise.all(
    counters(lookup).map(async ({ key, limit }) => ({ key, limit, ...(await deps.rates.hit(key, USER_CODE_FAILURES.windowSeconds, now)) })),
  );
  const over = counts.find(({ count, limit }) => count > limit);
  if (over) throw await limited(deps, over.key, over.resetAt, now);
  throw new NotFound(UNKNOWN);
}

/** The pending request a typed user code names: limited, looked up by its keyed hash, failures counted. */
async function pending(
  deps: DeviceVerificationDependencies,
  rawUserCode: string,
  lookup: Lookup,
  now: number,
): Promise<{ userCode: string; deviceCodeHash: string; device: DeviceRequest }> {
  await guard(deps, lookup, now);
  const userCode = normaliseUserCode(rawUserCode);
  if (!userCode) return failed(deps, lookup, now);
  const found = await deps.devices.findByUserCode(await deps.userCodes.keyOf(userCode), now);
  if (!found || found.device.status !== 'pending') return failed(deps, lookup, now);
  return { userCode, ...found };
}

/** `GET /admin/device-requests/{user_code}`: what the login app shows the user before they approve. */
export async function describeDeviceRequest(
  deps: DeviceVerificationDependencies,
  rawUserCode: string,
  lookup: Lookup = {},
): Promise<Record<string, unknown>> {
  const { userCode, device } = await pending(deps, rawUserCode, lookup, epochSeconds(deps.clock));
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
  lookup: Lookup = {},
): Promise<{ status: 'accepted' }> {
  const now = epochSeconds(deps.clock);
  const result = parseAccept(body, now, ACCEPT_FIELDS);
  // Before the lookup: a refused profile neither accepts nor counts as a failed user code.
  await requireLifetimeProfile(deps.lifetimes, result);
  const { deviceCodeHash } = await pending(deps, rawUserCode, lookup, now);
  const approval = { subject: result.subject, authTime: now, ...authenticationOf(result) };
  if (!(await deps.devices.accept(deviceCodeHash, approval, now))) throw new NotFound(UNKNOWN);
  return { status: 'accepted' };
}

/** `PUT …/reject`: the device's next poll gets `access_denied`. */
export async function rejectDeviceRequest(
  deps: DeviceVerificationDependencies,
  rawUserCode: string,
  body: Record<string, unknown>,
  lookup: Lookup = {},
): Promise<{ status: 'rejected' }> {
  const { description } = parseReject(body, REJECT_ERRORS);
  const now = epochSeconds(deps.clock);
  const { deviceCodeHash } = await pending(deps, rawUserCode, lookup, now);
  if (!(await deps.devices.reject(deviceCodeHash, { description }, now))) throw new NotFound(UNKNOWN);
  return { status: 'rejected' };
}
