import type { GrantDependencies } from '../oauth/grants/grant.ts';
import type { InspectDependencies } from '../oauth/tokens/inspect.ts';
import type { StoreServices } from './store.ts';

/** What the grants use besides the table's stores. */
export type GrantServices = Omit<GrantDependencies, 'families' | 'codes' | 'devices' | 'accessTokens' | 'markers' | 'rates' | 'proofReplays'>;

/**
 * Everything a grant may use: the token path's stores over the table and the services given.
 * The one wiring of the grants, for the token function and the grant-level tests alike.
 */
export function grantDependencies(store: StoreServices, services: GrantServices): GrantDependencies {
  return {
    ...services,
    families: store.families(),
    codes: store.codes(),
    devices: store.devices(),
    accessTokens: store.accessTokens(),
    markers: store.markers(),
    rates: store.rates(),
    proofReplays: store.proofReplays(),
  };
}

/**
 * What inspecting a token needs (introspection, revocation, userinfo): its stores over the
 * table, and how to verify and date it. The one wiring for the token and userinfo functions.
 */
export function inspectDependencies(
  store: StoreServices,
  services: Omit<InspectDependencies, 'families' | 'accessTokens' | 'markers'>,
) {
  // The stores as they are (revocation also writes through them), checked to be enough to inspect.
  return { ...services, families: store.families(), accessTokens: store.accessTokens(), markers: store.markers() } satisfies InspectDependencies;
}
