import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbClientRepository } from '../../../functions/adapters/dynamodb/client-repository.ts';
import { authenticateClient } from '../../../functions/oauth/clients/authenticate.ts';
import type { Client } from '../../../functions/oauth/clients/client.ts';
import { parseRegistration, registerClient } from '../../../functions/oauth/clients/registration.ts';
import { OAuthError } from '../../../functions/oauth/errors.ts';
import { systemClock } from '../../../functions/oauth/clock.ts';
import { freshTable } from '../../support/dynamodb.ts';
import { registrationBody } from '../../support/clients.ts';

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('authenticateClient', () => {
  let clients: DynamoDbClientRepository;
  let confidential: { client: Client; secret: string };
  let postClient: { client: Client; secret: string };
  let publicClient: Client;

  beforeAll(async () => {
    const { client, tableName } = await freshTable();
    clients = new DynamoDbClientRepository(client, tableName);
    const register = async (overrides: Record<string, unknown>) =>
      registerClient(parseRegistration(registrationBody(overrides)), { clients, clock: systemClock });
    const a = await register({});
    confidential = { client: a.client, secret: a.secret! };
    const b = await register({ token_endpoint_auth_method: 'client_secret_post' });
    postClient = { client: b.client, secret: b.secret! };
    publicClient = (await register({ type: 'public' })).client;
  });

  const attempt = async (headers: Record<string, string>, form: Record<string, string>) => {
    try {
      return await authenticateClient({ headers, form: new Map(Object.entries(form)) }, clients);
    } catch (error) {
      if (error instanceof OAuthError) return { error: error.code, status: error.status, headers: error.headers };
      throw error;
    }
  };

  it('accepts client_secret_basic', async () => {
    const result = await attempt({ authorization: basic(confidential.client.clientId, confidential.secret) }, {});
    expect(result).toMatchObject({ method: 'client_secret_basic', client: { clientId: confidential.client.clientId } });
  });

  it('accepts client_secret_post', async () => {
    const result = await attempt({}, { client_id: postClient.client.clientId, client_secret: postClient.secret });
    expect(result).toMatchObject({ method: 'client_secret_post' });
  });

  it('accepts a public client by id alone', async () => {
    expect(await attempt({}, { client_id: publicClient.clientId })).toMatchObject({ method: 'none' });
  });

  it('refuses a wrong secret with 401 and a Basic challenge', async () => {
    const result = await attempt({ authorization: basic(confidential.client.clientId, `${confidential.secret}x`) }, {});
    expect(result).toMatchObject({ error: 'invalid_client', status: 401 });
    expect((result as { headers: Record<string, string> }).headers['WWW-Authenticate']).toMatch(/^Basic realm=/);
  });

  it.each([
    ['an unknown client', () => ({ headers: { authorization: basic('nobody', 'secret') }, form: {} })],
    ['no credentials at all', () => ({ headers: {}, form: {} })],
    ['a confidential client without its secret', () => ({ headers: {}, form: { client_id: confidential.client.clientId } })],
    [
      'a secret sent by post to a basic client',
      () => ({ headers: {}, form: { client_id: confidential.client.clientId, client_secret: confidential.secret } }),
    ],
    ['a public client that sends a secret', () => ({ headers: {}, form: { client_id: publicClient.clientId, client_secret: 'x' } })],
    ['a public client through Basic', () => ({ headers: { authorization: basic(publicClient.clientId, '') }, form: {} })],
    ['a malformed Basic header', () => ({ headers: { authorization: 'Basic !!!' }, form: {} })],
    ['Basic without a colon', () => ({ headers: { authorization: `Basic ${Buffer.from('abc').toString('base64')}` }, form: {} })],
    ['bad percent-encoding', () => ({ headers: { authorization: `Basic ${Buffer.from('%zz:%zz').toString('base64')}` }, form: {} })],
    ['an empty secret', () => ({ headers: { authorization: basic(confidential.client.clientId, '') }, form: {} })],
  ])('refuses %s as invalid_client', async (_why, make) => {
    const { headers, form } = make();
    expect(await attempt(headers, form)).toMatchObject({ error: 'invalid_client', status: 401 });
  });

  it('answers an unknown client, a wrong secret, a public client with a secret and a confidential one without alike', async () => {
    const refusal = async (headers: Record<string, string>, form: Record<string, string>) => {
      try {
        await authenticateClient({ headers, form: new Map(Object.entries(form)) }, clients);
      } catch (error) {
        if (error instanceof OAuthError) return { code: error.code, status: error.status, description: error.message, headers: error.headers };
        throw error;
      }
      throw new Error('expected a refusal');
    };
    const unknown = await refusal({ authorization: basic('nobody', 'secret') }, {});
    expect(unknown).toMatchObject({ code: 'invalid_client', status: 401 });
    const others = {
      'an unknown client by post': await refusal({}, { client_id: 'nobody', client_secret: 'secret' }),
      'an unknown client without a secret': await refusal({}, { client_id: 'nobody' }),
      'a wrong secret (Basic)': await refusal({ authorization: basic(confidential.client.clientId, `${confidential.secret}x`) }, {}),
      'a wrong secret (post)': await refusal({}, { client_id: postClient.client.clientId, client_secret: 'wrong' }),
      'a public client sending a secret (post)': await refusal({}, { client_id: publicClient.clientId, client_secret: 'x' }),
      'a public client sending a secret (Basic)': await refusal({ authorization: basic(publicClient.clientId, 'x') }, {}),
      'a confidential client sending none': await refusal({}, { client_id: confidential.client.clientId }),
      'a post client sending none': await refusal({}, { client_id: postClient.client.clientId }),
      'the right secret by the wrong method': await refusal({}, { client_id: confidential.client.clientId, client_secret: confidential.secret }),
    };
    for (const [why, answer] of Object.entries(others)) expect({ why, ...answer }).toEqual({ why, ...unknown });
  });

  it('refuses two methods at once, and a body client_id that contradicts Basic', async () => {
    const header = { authorization: basic(confidential.client.clientId, confidential.secret) };
    expect(await attempt(header, { client_secret: confidential.secret })).toMatchObject({ error: 'invalid_request', status: 400 });
    expect(await attempt(header, { client_id: publicClient.clientId })).toMatchObject({ error: 'invalid_request', status: 400 });
  });

  it('accepts Basic credentials sent without form-encoding (ids and secrets are base64url)', async () => {
    const raw = `Basic ${Buffer.from(`${confidential.client.clientId}:${confidential.secret}`).toString('base64')}`;
    expect(await attempt({ authorization: raw }, {})).toMatchObject({ method: 'client_secret_basic' });
  });

  it('stores only a hash: the secret never appears in the stored client', async () => {
    const stored = await clients.get(confidential.client.clientId);
    expect(JSON.stringify(stored)).not.toContain(confidential.secret);
    expect(stored?.secretHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('issues secrets of at least 256 bits', () => {
    expect(Buffer.from(confidential.secret, 'base64url').length).toBeGreaterThanOrEqual(32);
  });
});
