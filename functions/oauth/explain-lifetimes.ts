import type { LifetimeConfigStore } from '../lifetimes/config.ts';
import { NAME_SEGMENT, PARAMETER_NAMES } from '../lifetimes/parameters.ts';
import { resolveLifetimes } from '../lifetimes/resolver.ts';
import type { ClientRepository } from './clients/client.ts';
import { InvalidRequest, NotFound } from './errors.ts';

/**
 * `GET /admin/lifetimes?client_id=&audience=&profile=`: every effective value for that client and
 * API (and login's lifetime profile), where it came from, and the best-practice warnings that
 * apply — what the token endpoint would use right now. A profile the configuration does not name
 * is 404, as a login naming it would be refused.
 */
export async function explainLifetimes(
  deps: { readonly clients: Pick<ClientRepository, 'get'>; readonly lifetimes: Pick<LifetimeConfigStore, 'current'> },
  query: URLSearchParams,
): Promise<Record<string, unknown>> {
  const clientId = query.get('client_id') || undefined;
  const asked = query.get('audience') || undefined;
  if (asked !== undefined && !NAME_SEGMENT.test(asked)) throw new InvalidRequest('audience must be an audience name');
  const profile = query.get('profile') || undefined;
  if (profile !== undefined && !NAME_SEGMENT.test(profile)) throw new InvalidRequest('profile must be a lifetime profile name');
  const client = clientId !== undefined ? await deps.clients.get(clientId) : undefined;
  if (clientId !== undefined && !client) throw new NotFound('no such client');
  // Without one, the token endpoint uses the client's only audience: so does the explanation.
  const audience = asked ?? (client?.audiences.length === 1 ? client.audiences[0] : undefined);
  const snapshot = await deps.lifetimes.current();
  if (profile !== undefined && !snapshot.profileNames.has(profile)) throw new NotFound(`no lifetime profile ${profile}`);
  const resolved = resolveLifetimes(snapshot, { clientId: client?.clientId, clientType: client?.type, audience, profile });
  const lifetimes: Record<string, unknown> = {};
  for (const name of PARAMETER_NAMES) {
    const entry = resolved[name];
    lifetimes[name] = { value: entry.value, source: entry.source, rejected: entry.rejected };
  }
  // JSON: what is undefined is left out.
  return {
    client_id: client?.clientId,
    client_type: client?.type,
    audience,
    profile,
    lifetimes,
    warnings: resolved.warnings,
  };
}
