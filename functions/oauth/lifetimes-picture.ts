import type { LifetimeConfigStore } from '../lifetimes/config.ts';
import { NAME_SEGMENT } from '../lifetimes/parameters.ts';
import { lifetimesPage, type PictureView } from '../lifetimes/picture.ts';
import type { Client, ClientRepository } from './clients/client.ts';
import { InvalidRequest, NotFound } from './errors.ts';

const MAX_VIEWS_ASKED = 20;

/**
 * `GET /admin/lifetimes.html?client_id=…&profile=…&audience=` (the development server): the
 * picture of the configuration's lifetimes (functions/lifetimes/picture.ts), for each client
 * asked for — registered clients with their type; without `client_id`, the global view and
 * every client the configuration overrides — each under no profile and under each profile asked
 * for (every configured one without `profile`). Unknown clients and profiles are 404, as for
 * `GET /admin/lifetimes`.
 */
export async function lifetimesPicture(
  deps: { readonly clients: Pick<ClientRepository, 'get'>; readonly lifetimes: Pick<LifetimeConfigStore, 'current'> },
  query: URLSearchParams,
  source: string,
): Promise<string> {
  const clientIds = query.getAll('client_id').filter(Boolean);
  const profilesAsked = query.getAll('profile').filter(Boolean);
  const audience = query.get('audience') || undefined;
  if (clientIds.length > MAX_VIEWS_ASKED || profilesAsked.length > MAX_VIEWS_ASKED) throw new InvalidRequest(`at most ${MAX_VIEWS_ASKED} clients and profiles`);
  if (audience !== undefined && !NAME_SEGMENT.test(audience)) throw new InvalidRequest('audience must be an audience name');
  if (profilesAsked.some((profile) => !NAME_SEGMENT.test(profile))) throw new InvalidRequest('profile must be a lifetime profile name');
  const snapshot = await deps.lifetimes.current();
  const unknown = profilesAsked.find((profile) => !snapshot.profileNames.has(profile));
  if (unknown !== undefined) throw new NotFound(`no lifetime profile ${unknown}`);

  const clients: Array<Pick<Client, 'clientId' | 'type'> | { readonly clientId: string; readonly type?: undefined } | undefined> = [];
  if (clientIds.length > 0) {
    for (const clientId of clientIds) {
      const client = await deps.clients.get(clientId);
      if (!client) throw new NotFound('no such client');
      clients.push(client);
    }
  } else {
    clients.push(undefined);
    // An override may name a client not (or no longer) registered: drawn without a type.
    for (const clientId of [...snapshot.clients.keys()].sort()) clients.push((await deps.clients.get(clientId)) ?? { clientId });
  }
  const profiles = [undefined, ...(profilesAsked.length > 0 ? profilesAsked : [...snapshot.profileNames].sort())];
  const views: PictureView[] = clients.flatMap((client) =>
    profiles.map((profile) => ({ clientId: client?.clientId, clientType: client?.type, audience, profile })),
  );
  return lifetimesPage(snapshot, views, { source });
}
