import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.ts';
import { TABLE_DEFINITION } from '../../functions/adapters/dynamodb/table-definition.ts';
import { LifespanStack } from '../../infra/lifespan-stack.ts';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

describe('LifespanStack', () => {
  let template: Template;
  beforeAll(() => {
    const app = new App();
    template = Template.fromStack(new LifespanStack(app, 'Lifespan-test', { stage: 'test' }));
  });

  it('builds the table from the shared definition: TTL, PITR, encryption, on demand, retained, protected', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: TABLE_DEFINITION.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: TABLE_DEFINITION.sortKey.name, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        Replicas: [
          Match.objectLike({
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            DeletionProtectionEnabled: true,
          }),
        ],
      }),
    });
  });

  it('creates an RSA_2048 SIGN_VERIFY key with an alias, retained', () => {
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }),
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/lifespan/test/signing-current' });
  });

  it('routes every path of functions/routes.ts, admin routes with IAM and public ones open', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as Resource[];
    const byKey = new Map(routes.map((route) => [route.Properties['RouteKey'], route.Properties['AuthorizationType']]));
    expect(byKey.size).toBe(ROUTES.length);
    for (const route of ROUTES) {
      const key = `${route.method} ${route.path}`;
      expect(byKey.has(key), key).toBe(true);
      expect(byKey.get(key) ?? 'NONE', key).toBe(route.access === 'admin' ? 'AWS_IAM' : 'NONE');
    }
  });

  it('runs every function on Node.js 22, arm64, with an explicit log group and source maps', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Resource[];
    const handlers = functions.filter((fn) => String(fn.Properties['Description'] ?? '').startsWith('Lifespan'));
    expect(handlers.length).toBeGreaterThanOrEqual(2);
    for (const fn of handlers) {
      expect(fn.Properties['Runtime']).toBe('nodejs22.x');
      expect(fn.Properties['Architectures']).toEqual(['arm64']);
      expect(fn.Properties['LoggingConfig']).toMatchObject({ LogGroup: expect.anything() });
      expect((fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        NODE_OPTIONS: '--enable-source-maps',
        LIFESPAN_STAGE: 'test',
        LIFESPAN_ISSUER: expect.anything(),
      });
    }
    template.resourceCountIs('AWS::Logs::LogGroup', handlers.length);
  });
});
