import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import { expect, inject } from 'vitest';
import { DynamoDbClientRepository } from '../../functions/adapters/dynamodb/client-repository.ts';
import { DynamoDbCodeStore } from '../../functions/adapters/dynamodb/code-store.ts';
import { DynamoDbFamilyStore } from '../../functions/adapters/dynamodb/family-store.ts';
import { createHandler } from '../../functions/handlers/token-handler.ts';
import type { Client } from '../../functions/oauth/clients/client.ts';
import { systemClock, type Clock } from '../../functions/oauth/clock.ts';
import { s256 } from '../../functions/oauth/pkce.ts';
import { hashSecret } from '../../functions/oauth/secrets.ts';
import { decodeRefreshToken } from '../../functions/oauth/tokens/refresh-token.ts';
import { clientRecord } from '../support/clients.ts';
import { freshTable } from '../support/dynamodb.ts';
import { QUICK_DYNAMODB_BUDGET, startDynamoDbFaultProxy, type DynamoDbFaultProxy } from '../support/dynamodb-faults.ts';
import { tokenEvent } from '../support/events.ts';
import { FakeKms } from '../support/fake-kms.ts';
import { FakeSsm } from '../support/fake-ssm.ts';

const ISSUER = 'https://auth.example.com';
const REDIRECT = 'https://app.example.com/callback';

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown>;
  readonly raw: string;
}

/**
 * The real token function (functions/handlers/token.ts, built as in Lambda with KMS signing and
 * SSM lifetimes), its DynamoDB calls through a fault proxy in front of DynamoDB Local, and the
 * KMS and SSM fakes behaving like the real clients (retry, then 503): each can fail on cue.
 */
export async function faultyTokenFunction(parameters: Record<string, string> = {}, options: { readonly clock?: Clock } = {}) {
  const proxy: DynamoDbFaultProxy = await startDynamoDbFaultProxy(inject('dynamoDbEndpoint'));
  const { client: direct, tableName } = await freshTable();
  const kms = new FakeKms({ translateUnavailable: true });
  const signingKey = kms.createKey({ keySpec: 'ECC_NIST_P256' });
  const macKey = kms.createKey({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' });
  const ssm = new FakeSsm(
    Object.fromEntries(Object.entries(parameters).map(([name, value]) => [`/lifespan/test/${name}`, value])),
    { translateUnavailable: true },
  );
  const lines: string[] = [];
  const handler = createHandler({
    env: {
      LIFESPAN_STAGE: 'test',
      LIFESPAN_ISSUER: ISSUER,
      LIFESPAN_TABLE: tableName,
      LIFESPAN_SIGNER: 'kms',
      LIFESPAN_KMS_KEY_ID: signingKey.keyId,
      LIFESPAN_KMS_MAC_KEY_ID: macKey.keyId,
      LIFESPAN_PARAMETERS: 'ssm',
      LIFESPAN_PARAMETERS_CACHE_SECONDS: '1',
      LIFESPAN_DEVICE_VERIFICATION_URL: `${ISSUER}/device`,
    },
    clock: options.clock ?? systemClock,
    write: (line) => lines.push(line),
    aws: { dynamodb: proxy.client(QUICK_DYNAMODB_BUDGET), kms, ssm },
  });

  const secret = randomBytes(32).toString('base64url');
  const client: Client = {
    ...clientRecord({ scopes: ['openid', 'offline_access', 'read'], audiences: ['api'], grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] }),
    redirectUris: [REDIRECT],
    secretHash: hashSecret(secret),
  };
  await new DynamoDbClientRepository(direct, tableName).create(client);
  const codes = new DynamoDbCodeStore(direct, tableName);
  const families = new DynamoDbFamilyStore(direct, tableName);

  const post = async (form: Record<string, string>): Promise<Answer> => {
    const result = (await handler(
      tokenEvent(form, { clientId: client.clientId, secret }),
      { awsRequestId: `request-${Math.random()}` } as never,
    )) as APIGatewayProxyStructuredResultV2;
    const raw = result.body ?? '';
    return { status: result.statusCode ?? 0, headers: (result.headers ?? {}) as Record<string, string>, body: JSON.parse(raw) as Record<string, unknown>, raw };
  };

  /** A code as /authorize would store it (written past the proxy: setting up is not under test). */
  const newCode = async () => {
    const code = randomBytes(32).toString('base64url');
    const verifier = randomBytes(40).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    await codes.create(hashSecret(code), {
      clientId: client.clientId,
      redirectUri: REDIRECT,
      codeChallenge: s256(verifier),
      subject: `user-${randomBytes(4).toString('hex')}`,
      scope: ['openid', 'offline_access', 'read'],
      audience: 'api',
      authTime: now,
      createdAt: now,
      expiresAt: now + 300,
    });
    return { code, verifier, form: { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier } };
  };

  const exchange = async () => {
    const { form } = await newCode();
    const answer = await post(form);
    expect(answer.status, answer.raw).toBe(200);
    return answer.body as { access_token: string; refresh_token: string };
  };

  const refresh = (token: string) => post({ grant_type: 'refresh_token', refresh_token: token });

  /** The family of a refresh token, read past the proxy. */
  const familyOf = async (token: string) => (await families.get(decodeRefreshToken(token)!.familyId))!;

  return { proxy, kms, ssm, lines, handler, client, post, newCode, exchange, refresh, familyOf, codes, close: () => proxy.close() };
}

/**
 * A dependency failure as a client must see it: 503 `temporarily_unavailable` (RFC 6749 §5.2
 * JSON, nothing else in the body), `Retry-After`, no-store, and no word of what failed inside.
 */
export function expectUnavailable(answer: Answer): void {
  expect(answer.status, answer.raw).toBe(503);
  expect(answer.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
  expect(Number(answer.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
  expect(answer.raw).not.toMatch(/dynamo|kms|ssm|throttl|timeout|exception|stack/i);
}
