import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_DEFINITION } from '../../functions/adapters/dynamodb/table-definition.ts';
import { ROUTES, routeKey } from '../../functions/routes.ts';
import { REQUEST_WORST_CASE_MS } from '../../functions/runtime/aws-clients.ts';
import { EXPECTED_ACCESS, expectedPermissions } from './expected-access.ts';
import { LOGIN_URL, arnOf, functionsByGroup, idsOf, only, permissionsOf, synth, type CfnResource, type Synthesized } from './synth.ts';

const DEPLOYABLE = ROUTES.filter((route) => !route.localOnly);
const parameterArn = (path: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:parameter/${path}`]],
});

describe('LifespanStack with the real routes', () => {
  let synthesized: Synthesized;
  let resources: Synthesized['resources'];
  beforeAll(() => {
    synthesized = synth({}, { bundle: true });
    resources = synthesized.resources;
  });

  describe('table', () => {
    it('builds the table from the shared definition: TTL on its attribute, PITR, encryption, on demand', () => {
      synthesized.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: [
          { AttributeName: TABLE_DEFINITION.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: TABLE_DEFINITION.sortKey.name, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: TABLE_DEFINITION.ttlAttribute, Enabled: true },
        SSESpecification: { SSEEnabled: true },
        Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true })],
      });
      expect(TABLE_DEFINITION.ttlAttribute).toBe('expires_at');
    });

    it('has the sparse subject index: its keys, and only the attributes the listings need (no hashes, no claims)', () => {
      const [, table] = only(resources, 'AWS::DynamoDB::GlobalTable');
      expect(table.Properties['GlobalSecondaryIndexes']).toEqual([
        {
          IndexName: 'by-subject',
          KeySchema: [
            { AttributeName: 'subject_pk', KeyType: 'HASH' },
            { AttributeName: 'subject_sk', KeyType: 'RANGE' },
          ],
          Projection: {
            ProjectionType: 'INCLUDE',
            NonKeyAttributes: [
              'client_id', 'created_at', 'auth_time', 'absolute_expires_at', 'sid',
              'family_id', 'last_used_at', 'scope', 'audience', 'generation', 'revoked',
              'last_seen_at', 'idle_ttl', 'acr', 'amr',
            ],
          },
        },
      ]);
      expect(table.Properties['AttributeDefinitions']).toEqual(
        expect.arrayContaining([
          { AttributeName: 'subject_pk', AttributeType: 'S' },
          { AttributeName: 'subject_sk', AttributeType: 'S' },
        ]),
      );
      expect(TABLE_DEFINITION.globalSecondaryIndexes.map(({ indexName }) => indexName)).toEqual(['by-subject']);
    });

    it('grants Query on the subject index to the admin function only, and nothing else on it', () => {
      const [tableId] = only(resources, 'AWS::DynamoDB::GlobalTable');
      const index = JSON.stringify({ 'Fn::Join': ['', [arnOf(tableId), '/index/by-subject']] });
      for (const [group, { fn }] of functionsByGroup(resources)) {
        const roleId = (fn.Properties['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        const onIndex = [...permissionsOf(resources, roleId)].filter((pair) => pair.endsWith(` ${index}`));
        expect(onIndex, group).toEqual(group === 'admin' ? [`dynamodb:Query ${index}`] : []);
      }
    });

    it('retains the table when it leaves the stack or is replaced', () => {
      const [, table] = only(resources, 'AWS::DynamoDB::GlobalTable');
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
    });
  });

  describe('keys', () => {
    it('creates one RSA_2048 SIGN_VERIFY signing key, retained, with its alias', () => {
      const [keyId, key] = only(resources, 'AWS::KMS::Key', (resource) => resource.Properties['KeyUsage'] === 'SIGN_VERIFY');
      expect(key.Properties['KeySpec']).toBe('RSA_2048');
      expect(key.DeletionPolicy).toBe('Retain');
      synthesized.template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/lifespan/test/signing-current', TargetKeyId: arnOf(keyId) });
    });

    it('creates the HMAC key for refresh-token successors, retained, when the token group is deployed', () => {
      const token = DEPLOYABLE.some((route) => route.group === 'token');
      const macKeys = idsOf(resources, 'AWS::KMS::Key').filter((id) => resources[id]?.Properties['KeyUsage'] === 'GENERATE_VERIFY_MAC');
      expect(macKeys).toHaveLength(token ? 1 : 0);
      for (const id of macKeys) {
        expect(resources[id]?.Properties['KeySpec']).toBe('HMAC_256');
        expect(resources[id]?.DeletionPolicy).toBe('Retain');
      }
    });
  });

  describe('API', () => {
    it('routes every deployable path, admin routes with IAM and public ones open, local-only ones never', () => {
      const routes = idsOf(resources, 'AWS::ApiGatewayV2::Route').map((id) => resources[id] as CfnResource);
      const byKey = new Map(routes.map((route) => [route.Properties['RouteKey'], route.Properties['AuthorizationType'] ?? 'NONE']));
      expect([...byKey.keys()].sort()).toEqual(DEPLOYABLE.map(routeKey).sort());
      for (const route of DEPLOYABLE) expect(byKey.get(routeKey(route)), routeKey(route)).toBe(route.access === 'admin' ? 'AWS_IAM' : 'NONE');
      for (const route of ROUTES.filter((candidate) => candidate.localOnly)) expect(byKey.has(routeKey(route))).toBe(false);
    });

    it('sends every route to the function of its group', () => {
      const functions = functionsByGroup(resources);
      for (const route of DEPLOYABLE) {
        const [, routeResource] = only(resources, 'AWS::ApiGatewayV2::Route', (resource) => resource.Properties['RouteKey'] === routeKey(route));
        const target = routeResource.Properties['Target'] as { 'Fn::Join': [string, [string, { Ref: string }]] };
        expect(target['Fn::Join'][1][0]).toBe('integrations/');
        const integration = resources[target['Fn::Join'][1][1].Ref];
        expect(integration?.Properties['IntegrationUri'], routeKey(route)).toEqual(arnOf(functions.get(route.group)?.id ?? ''));
      }
    });

    it('has no API-wide CORS: the handlers answer preflights themselves', () => {
      const [, api] = only(resources, 'AWS::ApiGatewayV2::Api');
      expect(api.Properties['ProtocolType']).toBe('HTTP');
      expect(api.Properties['CorsConfiguration']).toBeUndefined();
    });

    it('throttles the stage and logs every request as JSON, without headers or query strings', () => {
      const [, stage] = only(resources, 'AWS::ApiGatewayV2::Stage');
      expect(stage.Properties).toMatchObject({ StageName: '$default', AutoDeploy: true, DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 } });
      const settings = stage.Properties['AccessLogSettings'] as { DestinationArn: unknown; Format: string };
      const format = JSON.parse(settings.Format) as Record<string, string>;
      expect(format).toMatchObject({
        requestId: '$context.requestId',
        routeKey: '$context.routeKey',
        status: '$context.status',
        latency: '$context.responseLatency',
      });
      for (const value of Object.values(format)) expect(value).not.toMatch(/header|querystring|authorizer\.|path\b/i);
      const logsId = (settings.DestinationArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      expect(resources[logsId]?.Type).toBe('AWS::Logs::LogGroup');
      expect(resources[logsId]?.Properties['RetentionInDays']).toBe(30);
    });
  });

  describe('functions', () => {
    it('creates one function per route group with deployable routes, and none for the others', () => {
      const groups = new Set(DEPLOYABLE.map((route) => route.group));
      expect([...functionsByGroup(resources).keys()].sort()).toEqual([...groups].sort());
      // …and the events function, which the table's stream invokes (security-events.test.ts).
      expect(idsOf(resources, 'AWS::Lambda::Function')).toHaveLength(groups.size + 1);
    });

    it('runs every function of the stack on Node.js 24, the latest Lambda runtime (CDK adds no function of its own here)', () => {
      const functions = idsOf(resources, 'AWS::Lambda::Function');
      expect(functions.length).toBeGreaterThan(1);
      for (const id of functions) expect(resources[id]?.Properties['Runtime'], id).toBe('nodejs24.x');
    });

    it('runs them on Node.js 24, arm64, with an explicit log group and source maps', () => {
      for (const [group, { fn }] of functionsByGroup(resources)) {
        expect(fn.Properties, group).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          MemorySize: 512,
          Timeout: 20,
          LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
        });
        const environment = (fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
        expect(environment['NODE_OPTIONS']).toBe('--enable-source-maps');
      }
    });

    it('gives every API function a timeout above the worst case of its AWS calls and below API Gateway\'s 30 s', () => {
      for (const [group, { fn }] of functionsByGroup(resources)) {
        const timeout = Number(fn.Properties['Timeout']);
        expect(timeout * 1000, group).toBeGreaterThan(REQUEST_WORST_CASE_MS);
        expect(timeout, group).toBeLessThan(30);
      }
    });

    it('bundles each handler as minified ESM (index.mjs) with a source map', () => {
      const directory = synthesized.app.synth().directory;
      for (const [group, { fn }] of functionsByGroup(resources)) {
        const assetPath = String(fn.Metadata?.['aws:asset:path']);
        const files = readdirSync(join(directory, assetPath)).sort();
        expect(files, group).toEqual(['index.mjs', 'index.mjs.map']);
        const code = readFileSync(join(directory, assetPath, 'index.mjs'), 'utf8');
        expect(code.startsWith("import { createRequire as __createRequire } from 'node:module';")).toBe(true);
        expect(code).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\};?\s*\n\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
        const lines = code.split('\n');
        expect(code.length / lines.length, `${group} is not minified`).toBeGreaterThan(1000);
        const map = JSON.parse(readFileSync(join(directory, assetPath, 'index.mjs.map'), 'utf8')) as { sources: string[]; sourcesContent?: unknown };
        expect(map.sources.some((source) => source.includes(`functions/handlers/${group}.ts`))).toBe(true);
        expect(map.sourcesContent).toBeUndefined();
      }
    });

    it('gives each function exactly its group\'s environment', () => {
      const [tableId] = only(resources, 'AWS::DynamoDB::GlobalTable');
      for (const [group, { fn }] of functionsByGroup(resources)) {
        const expected = EXPECTED_ACCESS[group];
        expect(expected, `no expectation for group ${group}`).toBeDefined();
        const environment = (fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
        expect(Object.keys(environment).sort(), group).toEqual([...(expected?.environment ?? []), 'NODE_OPTIONS'].sort());
        expect(environment['LIFESPAN_STAGE']).toBe('test');
        if ('LIFESPAN_TABLE' in environment) expect(environment['LIFESPAN_TABLE']).toEqual({ Ref: tableId });
        if ('LIFESPAN_LOGIN_URL' in environment) expect(environment['LIFESPAN_LOGIN_URL']).toBe(LOGIN_URL);
      }
    });

    it('uses the API URL as the default issuer, for every function', () => {
      const [apiId] = only(resources, 'AWS::ApiGatewayV2::Api');
      for (const [, { fn }] of functionsByGroup(resources)) {
        expect((fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables['LIFESPAN_ISSUER']).toEqual({ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] });
      }
    });
  });

  describe('IAM', () => {
    it('grants each function exactly its group\'s permissions, on exactly the table, keys and parameter path', () => {
      const [tableId] = only(resources, 'AWS::DynamoDB::GlobalTable');
      const [signingKeyId] = only(resources, 'AWS::KMS::Key', (key) => key.Properties['KeyUsage'] === 'SIGN_VERIFY');
      const macKeyId = idsOf(resources, 'AWS::KMS::Key').find((id) => resources[id]?.Properties['KeyUsage'] === 'GENERATE_VERIFY_MAC');
      for (const [group, { fn }] of functionsByGroup(resources)) {
        const roleId = (fn.Properties['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        const logsId = (fn.Properties['LoggingConfig'] as { LogGroup: { Ref: string } }).LogGroup.Ref;
        const expected = expectedPermissions(EXPECTED_ACCESS[group] ?? fail(group), {
          table: arnOf(tableId),
          subjectIndex: { 'Fn::Join': ['', [arnOf(tableId), '/index/by-subject']] },
          activeKey: arnOf(signingKeyId),
          publishedKeys: [arnOf(signingKeyId)],
          successorKey: macKeyId === undefined ? undefined : arnOf(macKeyId),
          parameters: [parameterArn('lifespan/test'), parameterArn('lifespan/test/*')],
          eventBus: arnOf(only(resources, 'AWS::Events::EventBus')[0]),
          always: [`logs:CreateLogStream ${JSON.stringify(arnOf(logsId))}`, `logs:PutLogEvents ${JSON.stringify(arnOf(logsId))}`],
        });
        expect(permissionsOf(resources, roleId), group).toEqual(expected);
      }
    });

    it('uses no managed policy, no wildcard action and no "*" resource anywhere', () => {
      for (const id of idsOf(resources, 'AWS::IAM::Role')) expect(resources[id]?.Properties['ManagedPolicyArns']).toBeUndefined();
      for (const id of idsOf(resources, 'AWS::IAM::Policy')) {
        for (const statement of (resources[id]?.Properties['PolicyDocument'] as { Statement: Array<{ Action: unknown; Resource: unknown }> }).Statement) {
          for (const action of [statement.Action].flat()) expect(String(action)).not.toContain('*');
          for (const resource of [statement.Resource].flat()) expect(resource).not.toBe('*');
        }
      }
    });

    it('lets only API Gateway invoke the functions, each from its own routes', () => {
      for (const id of idsOf(resources, 'AWS::Lambda::Permission')) {
        expect(resources[id]?.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com', SourceArn: expect.anything() });
      }
    });
  });

  describe('lifetimes in SSM', () => {
    it('creates no SSM parameter: the service runs on its defaults and no deploy resets a tuned value', () => {
      synthesized.template.resourceCountIs('AWS::SSM::Parameter', 0);
      expect(idsOf(resources, 'Custom::AWS')).toEqual([]);
      expect(Object.values(resources).filter((resource) => resource.Type.startsWith('Custom::'))).toEqual([]);
    });
  });

  describe('outputs', () => {
    it('exports the API URL, issuer, table, keys and aliases, alarm topic and dashboard', () => {
      const outputs = synthesized.template.toJSON()['Outputs'] as Record<string, { Value: unknown }>;
      expect(Object.keys(outputs).sort()).toEqual(
        [
          'ApiUrl',
          'AdminApiArn',
          'Issuer',
          'TableName',
          'ActiveSigningKeyArn',
          'SigningKeyCurrentArn',
          'SigningKeyCurrentAlias',
          ...(DEPLOYABLE.some((route) => route.group === 'token') ? ['SuccessorKeyArn', 'SuccessorKeyAlias'] : []),
          'EventBusArn',
          'EventBusName',
          'AlarmTopicArn',
          'DashboardName',
          'ParametersPath',
        ].sort(),
      );
      expect(outputs['SigningKeyCurrentAlias']?.Value).toBe('alias/lifespan/test/signing-current');
      expect(outputs['ParametersPath']?.Value).toBe('/lifespan/test/');
    });
  });

  it('raises no CDK error or warning', () => {
    expect(Annotations.fromStack(synthesized.stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(synthesized.stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

function fail(group: string): never {
  throw new Error(`no expectation for group ${group}`);
}
