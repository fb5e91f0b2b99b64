/**
 * How the user logged in, as the login app said when it accepted: it goes with everything the
 * login produces — the session, each code, the device approval, the refresh family — and from
 * them into tokens. Each field is absent (or undefined: every reader treats both alike, and every
 * store writes neither) when the login app did not set it.
 */
export interface Authentication {
  readonly acr?: string | undefined;
  readonly amr?: readonly string[] | undefined;
  /** The login app's claims at accept; the ID token releases them by scope (claims.ts). */
  readonly claims?: Readonly<Record<string, unknown>> | undefined;
  /** The lifetime profile the login app chose (`lifetime_profile`): it governs everything the login produces, for life. */
  readonly lifetimeProfile?: string | undefined;
}

/** The {@link Authentication} of a login result, session, approval or grant, to carry on to what it issues. */
export function authenticationOf(from: Authentication): Authentication {
  return { acr: from.acr, amr: from.amr, claims: from.claims, lifetimeProfile: from.lifetimeProfile };
}
