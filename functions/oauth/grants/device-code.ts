import { GRANT_TYPES, type Client } from '../clients/client.ts';
import { epochSeconds } from '../clock.ts';
import { SLOW_DOWN_STEP, type DeviceRequest } from '../device/device-request.ts';
import { AuthorizationPending, ExpiredToken, InvalidGrant, InvalidRequest, InvalidTarget, SlowDown, TokenAccessDenied } from '../errors.ts';
import { hashSecret } from '../secrets.ts';
import { boundToProof } from '../dpop/binding.ts';
import { authenticationOf } from '../sessions/authentication.ts';
import type { Grant } from '../tokens/family.ts';
import { firstTokens } from '../tokens/first-tokens.ts';
import { discardOpaque, issued } from '../tokens/issue.ts';
import type { GrantDependencies, GrantHandler } from './grant.ts';

/**
 * The answer a refused write's item calls for when the request is over or not this client's;
 * a request still pending or accepted is returned.
 */
function stillOpen(device: DeviceRequest | undefined, client: Client, deps: GrantDependencies, now: number): DeviceRequest {
  if (!device || device.clientId !== client.clientId) {
    deps.metrics.count('InvalidGrant', { ClientId: client.clientId });
    throw new InvalidGrant('device code is invalid');
  }
  if (device.expiresAt <= now) throw new ExpiredToken();
  if (device.status === 'rejected') throw new TokenAccessDenied(device.rejection?.description ?? 'the user denied the request');
  if (device.status === 'consumed') throw new InvalidGrant('device code already used');
  return device;
}

/** How often a too-fast poll retries its optimistic write when concurrent polls got there first. */
const SLOW_DOWN_ATTEMPTS = 10;

/**
 * RFC 8628 §3.5: each `slow_down` adds 5 s to the interval "for this and all subsequent
 * requests". The write is conditioned on the interval seen, retried on a concurrent change.
 */
async function slowDown(deviceCodeHash: string, seen: DeviceRequest, client: Client, deps: GrantDependencies, now: number): Promise<never> {
  let current: DeviceRequest | undefined = seen;
  for (let attempt = 0; attempt < SLOW_DOWN_ATTEMPTS && current?.status === 'pending' && current.expiresAt > now; attempt += 1) {
    const interval = current.interval + SLOW_DOWN_STEP;
    const result = await deps.devices.slowDown({ deviceCodeHash, clientId: client.clientId, seen: current, interval, now });
    if (result.outcome === 'slowed') throw new SlowDown(`polling too fast: wait ${interval} seconds between requests`);
    current = result.device;
  }
  throw new SlowDown();
}

function grantOf(device: DeviceRequest): Grant {
  const approval = device.approval;
  if (!approval) throw new TypeError('an accepted device request has no approval');
  return {
    subject: approval.subject,
    clientId: device.clientId,
    scope: device.scope,
    audience: device.audience,
    authTime: approval.authTime,
    ...authenticationOf(approval),
  };
}

/**
 * RFC 8628 §3.4–3.5. While the request is pending, a poll is one conditional write that
 * records it only if `interval` seconds have passed (`authorization_pending`), else the
 * interval grows by 5 s (`slow_down`). Once approved, one conditional accepted → consumed
 * write issues tokens exactly once; every later poll is `invalid_grant`.
 */
export const deviceCodeGrant: GrantHandler = {
  grantType: GRANT_TYPES.deviceCode,
  async handle({ client, params, proof }, deps) {
    const deviceCode = params.get('device_code');
    if (!deviceCode) throw new InvalidRequest('device_code is required');
    const deviceCodeHash = hashSecret(deviceCode);
    const now = epochSeconds(deps.clock);
    const polled = await deps.devices.poll(deviceCodeHash, client.clientId, now);
    if (polled.outcome === 'pending') throw new AuthorizationPending();

    const seen = stillOpen(polled.device, client, deps, now);
    if (seen.status === 'pending') return slowDown(deviceCodeHash, seen, client, deps, now);
    const resource = params.get('resource');
    if (resource !== undefined && resource !== seen.audience) throw new InvalidTarget('resource differs from the one authorized');

    // Sign first, then consume the approval together with the family it starts: a failure
    // before the answer is ready leaves the approval for the next poll.
    // A replayed proof gets nothing: the approval it would need is consumed by the write that used it.
    // An approval from a login before a bulk revocation yields nothing (and stays unconsumed: it is dead anyway).
    const { lifetimes, jti, family, response } = await firstTokens(deps, {
      client,
      grant: boundToProof(grantOf(seen), proof),
      jkt: proof?.jkt,
      now,
      revoked: () => new TokenAccessDenied('the authorization was revoked'),
    });
    const consumed = await deps.devices.consume({ deviceCodeHash, clientId: client.clientId, now, consumerId: jti }, family);
    // Refused with this request's own id: the SDK retried the write after it had committed.
    if (consumed.outcome === 'consumed' || consumed.device?.consumerId === jti) return issued(deps, client, response, GRANT_TYPES.deviceCode);
    await discardOpaque(deps, lifetimes.access_token_format.value, response);
    stillOpen(consumed.device, client, deps, now);
    throw new InvalidGrant('device code already used');
  },
};
