import { InvalidClient, InvalidRequest } from '../errors.ts';
import { constantTimeEqual, hashSecret } from '../secrets.ts';
import type { Client, ClientRepository, TokenEndpointAuthMethod } from './client.ts';

/** A client that proved who it is at the token, revocation or introspection endpoint. */
export interface AuthenticatedClient {
  readonly client: Client;
  readonly method: TokenEndpointAuthMethod;
}

interface Presented {
  readonly clientId: string;
  readonly secret?: string;
  readonly method: TokenEndpointAuthMethod;
}

/** Compared against when the client is unknown, so unknown and known ids take the same time. */
const DUMMY_HASH = hashSecret('lifespan-unknown-client');

function decodeBasicPart(part: string): string {
  try {
    // RFC 6749 §2.3.1: id and secret are form-urlencoded before being joined with ':'.
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch (error) {
    throw new InvalidClient('malformed client credentials', { cause: error });
  }
}

function fromBasic(header: string): Presented {
  const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header.trim());
  if (!match) throw new InvalidClient('malformed Authorization header');
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new InvalidClient('malformed Authorization header');
  const clientId = decodeBasicPart(decoded.slice(0, colon));
  const secret = decodeBasicPart(decoded.slice(colon + 1));
  if (clientId === '') throw new InvalidClient('malformed Authorization header');
  return { clientId, secret, method: 'client_secret_basic' };
}

/** Works out which of the three methods the request uses; more than one is an error (RFC 6749 §2.3). */
function presented(authorization: string | undefined, form: ReadonlyMap<string, string>): Presented {
  const bodyId = form.get('client_id');
  const bodySecret = form.get('client_secret');
  if (authorization !== undefined && /^basic\s/i.test(authorization)) {
    if (bodySecret !== undefined) throw new InvalidRequest('use one client authentication method, not two');
    const basic = fromBasic(authorization);
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw new InvalidRequest('client_id in the body does not match the authenticated client');
    }
    return basic;
  }
  if (bodyId === undefined) throw new InvalidClient('client authentication is required');
  if (bodySecret !== undefined) return { clientId: bodyId, secret: bodySecret, method: 'client_secret_post' };
  return { clientId: bodyId, method: 'none' };
}

/**
 * The client-authentication step of the token, revocation and introspection endpoints:
 * `client_secret_basic`, `client_secret_post` or `none` (public clients), each only for a
 * client registered with that method. Secrets are compared as hashes in constant time. An
 * unknown client, a wrong secret and a method the client is not registered for all get the same
 * `invalid_client`, description and challenge alike.
 */
export async function authenticateClient(
  request: { readonly headers: Readonly<Record<string, string>>; readonly form: ReadonlyMap<string, string> },
  clients: Pick<ClientRepository, 'get'>,
): Promise<AuthenticatedClient> {
  return check(presented(request.headers['authorization'], request.form), clients);
}

/** A refusal of a claimed client id names it (rate limits count failures per client), unless it is too long to be one. */
async function check(claim: Presented, clients: Pick<ClientRepository, 'get'>): Promise<AuthenticatedClient> {
  if (claim.clientId.length > 128) throw new InvalidClient();
  const client = await clients.get(claim.clientId);
  const secretMatches = constantTimeEqual(
    claim.secret === undefined ? '' : hashSecret(claim.secret),
    client?.secretHash ?? DUMMY_HASH,
  );
  // One answer for every failure about the client itself (unknown, wrong secret, wrong method):
  // saying more would tell a caller which ids exist and how each authenticates.
  if (!client || client.tokenEndpointAuthMethod !== claim.method || (claim.method !== 'none' && !secretMatches)) {
    throw new InvalidClient(undefined, { clientId: claim.clientId });
  }
  return { client, method: claim.method };
}
