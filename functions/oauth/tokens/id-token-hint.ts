import { compactVerify, createLocalJWKSet } from 'jose';
import { SIGNING_ALGORITHMS, type Signer } from '../signer.ts';

/**
 * The claims of an `id_token_hint` if it is an ID token this server signed (a key in its JWKS,
 * `typ: JWT`, its issuer, a `sub`); undefined otherwise. An expired one is accepted: it is a hint
 * about who the user is, not a credential (OIDC Core §3.1.2.1 expects hints from earlier logins,
 * and RP-Initiated Logout §2 says so outright). A token signed by a key since retired from the
 * JWKS can no longer be told from a forgery, and is refused like one.
 */
export async function verifyIdTokenHint(
  token: string,
  deps: { readonly issuer: string; readonly signer: Pick<Signer, 'jwks'> },
): Promise<Readonly<Record<string, unknown>> | undefined> {
  try {
    const { payload, protectedHeader } = await compactVerify(token, createLocalJWKSet(await deps.signer.jwks()), {
      algorithms: [...SIGNING_ALGORITHMS],
    });
    // Access tokens (at+jwt) and anything else this key signs are not ID tokens.
    if (protectedHeader.typ !== 'JWT') return undefined;
    const claims = JSON.parse(new TextDecoder().decode(payload)) as unknown;
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
    const record = claims as Record<string, unknown>;
    if (record['iss'] !== deps.issuer || typeof record['sub'] !== 'string' || record['aud'] === undefined) return undefined;
    return record;
  } catch {
    return undefined;
  }
}
