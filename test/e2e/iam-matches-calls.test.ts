import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dynamoDbClient } from '../../functions/runtime/dynamodb-client.ts';
import type { HandlerGroup } from '../../functions/routes.ts';
import { GROUP_ACCESS, LOCAL_ONLY, type TableAction } from '../../infra/group-access.ts';
import { Browser } from '../support/browser.ts';
import {
  adminJson,
  authorizationRequest,
  expectTokens,
  introspectAs,
  loginTokens,
  newClient,
  refresh,
  revokeRequest,
  uniqueSubject,
  userinfoRequest,
} from '../support/flows.ts';
import { startTestServer, type TestServer } from '../support/local-server.ts';
import { eventsMatching } from '../support/security-events.ts';

/** The IAM actions a DynamoDB command needs (a transaction's items are authorized item by item). */
const ACTIONS: Record<string, readonly TableAction[]> = {
  GetItemCommand: ['GetItem'],
  BatchGetItemCommand: ['BatchGetItem'],
  PutItemCommand: ['PutItem'],
  UpdateItemCommand: ['UpdateItem'],
  DeleteItemCommand: ['DeleteItem'],
  QueryCommand: ['Query'],
  // A transaction is authorized item by item: the tests below see which kinds of items each sends.
  TransactWriteItemsCommand: ['PutItem', 'UpdateItem', 'DeleteItem'],
};

/**
 * DynamoDB Local enforces no IAM, so a function calling what its role may not (a `BatchGetItem`
 * where the permission table said no Batch*) would pass every other test and fail in AWS. Each
 * group's handler here gets a DynamoDB client of its own that records the commands it sends;
 * after flows that touch every route group, each command must be one its role is granted.
 */
describe('what each function calls is what its IAM role grants', () => {
  let service: TestServer;
  const calls = new Map<HandlerGroup | 'events', Set<string>>();
  beforeAll(async () => {
    service = await startTestServer({
      awsFor: (group) => {
        const client = dynamoDbClient({ endpoint: inject('dynamoDbEndpoint') });
        return { dynamodb: recording(client, group) };
      },
    });
  });
  afterAll(async () => {
    await service.server.close();
  });

  function recording(client: ReturnType<typeof dynamoDbClient>, group: HandlerGroup | 'events') {
    const seen = new Set<string>();
    calls.set(group, seen);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        seen.add(context.commandName ?? 'unknown');
        return next(args);
      },
      { step: 'initialize', name: `record-${group}` },
    );
    return client;
  }

  it('grants every command the token, authorize, userinfo, admin and events functions send', async () => {
    const web = await newClient(service);
    const api = await newClient(service, { client_name: 'api', redirect_uris: [], grant_types: ['client_credentials'], scopes: ['orders:read'] });
    const subject = uniqueSubject();
    const { tokens, browser } = await loginTokens(service, web, { accept: { subject } });
    const next = await expectTokens(await refresh(service, web, tokens.refresh_token!));
    await introspectAs(service, api, next.access_token);
    expect((await userinfoRequest(service, next.access_token)).status).toBe(200);
    const again = await authorizationRequest(service, web, { prompt: 'none' });
    await browser.get(again.url);
    await revokeRequest(service, web, next.refresh_token!);
    expect((await service.admin(`/admin/users/${encodeURIComponent(subject)}/families`)).status).toBe(200);
    expect((await adminJson(service, `/admin/users/${encodeURIComponent(subject)}/events`, { type: 'compromised' })).status).toBe(200);
    await new Browser().get(`${service.url}/logout`);
    // The events function has published what these flows showed (a rotation, a revocation, markers…).
    await eventsMatching(service, (event) => event['detail-type'] === 'User Event Received' && event['subject'] === subject);

    for (const group of ['token', 'authorize', 'userinfo', 'admin', 'events'] as const) {
      const access = GROUP_ACCESS[group];
      if (access === LOCAL_ONLY) throw new Error(`${group} is deployed`);
      const sent = [...(calls.get(group) ?? [])];
      expect(sent.length, `${group} sent no DynamoDB command`).toBeGreaterThan(0);
      for (const command of sent) {
        const needed = ACTIONS[command];
        expect(needed, `${group} sends ${command}, which the permission table does not know`).toBeDefined();
        for (const action of needed ?? []) expect(access.table, `${group} sends ${command}`).toContain(action);
      }
    }
  });
});
