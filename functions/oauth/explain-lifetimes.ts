import type { LifetimeConfigStore } from '../lifetimes/config.ts';
import { NAME_SEGMENT, PARAMETER_NAMES } from '../lifetimes/parameters.ts';
import { resolveLifetimes } from '../lifetimes/resolver.ts';
import type { ClientRepository } from './clients/client.ts';
import { InvalidRequest, NotFound } from './errors.ts';

/**
 * `GET /admin/lifetimes?client_id=&audience=`: every effective value for that client and API,
 * where it came from, and the best-practice warnings that apply — what the token endpoint
 * would use right now.
 */
export async function explainLifetimes(
  deps: { readonly clients: Pick<ClientRepository, 'get'>; readonly lifetimes: Pick<LifetimeConfigStore, 'current'> },
  query: URLSearchParams,
): Promise<Record<string, unknown>> {
  const clientId = query.get('client_id') || undefined;
  const asked = query.get('audience') || undefined;
  if (asked !== undefined && !NAME_SEGMENT.test(asked)) throw new InvalidRequest('audience must be an audience name');
  const client = clientId !== undefined ? await deps.clients.get(clientId) : undefined;
  if (clientId !== undefined && !client) throw new NotFound('no such client');
  // Without one, the token endpoint uses the client's only audience: so does the explanation.
  const audience = asked ?? (client?.audiences.length === 1 ? client.audiences[0] : undefined);
  const resolved = resolveLifetimes(await deps.lifetimes.current(), {
    ...(client && { clientId: client.clientId, clientType: client.type }),
    ...(audience !== undefined && { audience }),
  });
  const lifetimes: Record<string, unknown> = {};
  for (const name of PARAMETER_NAMES) {
    const entry = resolved[name];
    lifetimes[name] = { value: entry.value, source: entry.source, ...(entry.rejected && { rejected: entry.rejected }) };
  }
  return {
    ...(client && { client_id: client.clientId, client_type: client.type }),
    ...(audience !== undefined && { audience }),
    lifetimes,
    warnings: resolved.warnings,
  };
}
