import { describe, expect, it } from 'vitest';
import type { HandlerGroup } from '../../functions/routes.ts';
import { ROUTES } from '../../functions/routes.ts';
import {
  GROUP_ACCESS,
  LOCAL_ONLY,
  accessEnvironment,
  accessStatements,
  deployedAccess,
  type AccessResources,
  type EnvironmentValues,
  type FunctionName,
} from '../../infra/group-access.ts';
import { EXPECTED_ACCESS, EXPECTED_SET_SIGNER, LOCAL_ONLY_GROUPS, expectedPermissions } from './expected-access.ts';

const TABLE = 'arn:aws:dynamodb:eu-west-1:111122223333:table/lifespan';
const INDEX = `${TABLE}/index/by-subject`;
const ACTIVE = 'arn:aws:kms:eu-west-1:111122223333:key/active';
const NEXT = 'arn:aws:kms:eu-west-1:111122223333:key/next';
const MAC = 'arn:aws:kms:eu-west-1:111122223333:key/mac';
const BUS = 'arn:aws:events:eu-west-1:111122223333:event-bus/lifespan-prod';
const PARAMETERS = ['arn:aws:ssm:eu-west-1:111122223333:parameter/lifespan/prod', 'arn:aws:ssm:eu-west-1:111122223333:parameter/lifespan/prod/*'];
/** The resources every group's expected permissions are written against. */
const RESOURCES = { table: TABLE, subjectIndex: INDEX, activeKey: ACTIVE, publishedKeys: [ACTIVE, NEXT], successorKey: MAC, parameters: PARAMETERS, eventBus: BUS, always: [] };

const resources: AccessResources = {
  tableArn: TABLE,
  subjectIndexArn: INDEX,
  activeKeyArn: ACTIVE,
  publishedKeyArns: [ACTIVE, NEXT],
  parameterArns: PARAMETERS,
  successorKeyArn: MAC,
  eventBusArn: BUS,
};
const values: EnvironmentValues = {
  stage: 'prod',
  issuer: 'https://auth.example.com',
  tableName: 'lifespan',
  activeKeyArn: ACTIVE,
  otherKeyArns: [NEXT],
  loginUrl: 'https://login.example.com/login',
  successorKeyArn: MAC,
  eventBusArn: BUS,
};

function pairsOf(group: FunctionName, securityEventTokens = false): Set<string> {
  const pairs = new Set<string>();
  for (const statement of accessStatements(deployedAccess(group), { ...resources, securityEventTokens })) {
    const json = statement.toStatementJson() as { Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown };
    expect(json.Effect).toBe('Allow');
    expect(json.Condition).toBeUndefined();
    for (const action of [json.Action].flat()) for (const resource of [json.Resource].flat()) pairs.add(`${action} ${JSON.stringify(resource)}`);
  }
  return pairs;
}

describe('the permission table (infra/group-access.ts)', () => {
  it('has a row for every route group, and only local-only groups go without access', () => {
    expect(Object.keys(GROUP_ACCESS).sort()).toEqual([...Object.keys(EXPECTED_ACCESS), ...LOCAL_ONLY_GROUPS].sort());
    for (const group of LOCAL_ONLY_GROUPS) expect(GROUP_ACCESS[group as HandlerGroup]).toBe(LOCAL_ONLY);
  });

  it.each(Object.entries(EXPECTED_ACCESS))('grants %s exactly what the specification lists', (group, expected) => {
    const pairs = pairsOf(group as FunctionName);
    expect(pairs).toEqual(
      expectedPermissions(expected, RESOURCES),
    );
    for (const pair of pairs) {
      const [action, resource] = pair.split(' ');
      expect(action).not.toContain('*');
      expect(resource).not.toBe('"*"');
    }
  });

  it('lets only the admin function touch the subject index, and only to Query it', () => {
    for (const group of Object.keys(EXPECTED_ACCESS)) {
      const onIndex = [...pairsOf(group as FunctionName)].filter((pair) => pair.endsWith(` ${JSON.stringify(INDEX)}`));
      expect(onIndex, group).toEqual(group === 'admin' ? [`dynamodb:Query ${JSON.stringify(INDEX)}`] : []);
    }
  });

  it('lets only the events function publish to EventBridge, with PutEvents on the security events bus alone', () => {
    for (const group of Object.keys(EXPECTED_ACCESS)) {
      for (const securityEventTokens of [false, true]) {
        const onEvents = [...pairsOf(group as FunctionName, securityEventTokens)].filter((pair) => pair.startsWith('events:'));
        expect(onEvents, group).toEqual(group === 'events' ? [`events:PutEvents ${JSON.stringify(BUS)}`] : []);
      }
    }
    expect(() => accessStatements(deployedAccess('events'), { ...resources, eventBusArn: undefined })).toThrow(/eventBusArn/);
  });

  it('with Security Event Tokens on, lets the events function sign them with the active key (and changes no other row)', () => {
    expect(pairsOf('events', true)).toEqual(
      expectedPermissions(EXPECTED_SET_SIGNER, RESOURCES),
    );
    const environment = accessEnvironment('events', deployedAccess('events'), { ...values, securityEventTokens: true });
    expect(Object.keys(environment).sort()).toEqual([...EXPECTED_SET_SIGNER.environment, 'LIFESPAN_KMS_PUBLISHED_KEY_IDS'].sort());
    expect(environment).toMatchObject({ LIFESPAN_SECURITY_EVENT_TOKENS: 'true', LIFESPAN_SIGNER: 'kms', LIFESPAN_KMS_KEY_ID: ACTIVE, LIFESPAN_EVENT_BUS: BUS });
    for (const group of Object.keys(EXPECTED_ACCESS).filter((name) => name !== 'events')) {
      expect(pairsOf(group as FunctionName, true), group).toEqual(pairsOf(group as FunctionName, false));
      expect(accessEnvironment(group as FunctionName, deployedAccess(group as FunctionName), { ...values, securityEventTokens: true }), group).toEqual(
        accessEnvironment(group as FunctionName, deployedAccess(group as FunctionName), values),
      );
    }
  });

  it('signs with the active key only, never with a key that is merely published', () => {
    for (const group of Object.keys(EXPECTED_ACCESS)) {
      const signing = [...pairsOf(group as FunctionName)].filter((pair) => pair.startsWith('kms:Sign '));
      expect(signing, group).toEqual(group === 'token' ? [`kms:Sign ${JSON.stringify(ACTIVE)}`] : []);
    }
  });

  it.each(Object.entries(EXPECTED_ACCESS))('gives %s exactly the environment variables its handler reads', (group, expected) => {
    const environment = accessEnvironment(group as FunctionName, deployedAccess(group as FunctionName), values);
    expect(Object.keys(environment).sort()).toEqual(
      [...expected.environment, ...(expected.getPublicKey ? ['LIFESPAN_KMS_PUBLISHED_KEY_IDS'] : [])].sort(),
    );
    expect(environment).toMatchObject({ LIFESPAN_STAGE: 'prod', LIFESPAN_ISSUER: 'https://auth.example.com' });
    if (expected.getPublicKey) expect(environment).toMatchObject({ LIFESPAN_SIGNER: 'kms', LIFESPAN_KMS_KEY_ID: ACTIVE, LIFESPAN_KMS_PUBLISHED_KEY_IDS: NEXT });
    if (expected.ssm) expect(environment['LIFESPAN_PARAMETERS']).toBe('ssm');
    if (expected.generateMac) expect(environment['LIFESPAN_KMS_MAC_KEY_ID']).toBe(MAC);
    if (group === 'token') expect(environment['LIFESPAN_DEVICE_VERIFICATION_URL']).toBe('https://login.example.com/device');
    if (group === 'events') expect(environment).toMatchObject({ LIFESPAN_EVENT_BUS: BUS, LIFESPAN_ROTATION_HISTORY: 'true' });
  });

  it('leaves LIFESPAN_KMS_PUBLISHED_KEY_IDS out when only the active key is published', () => {
    const environment = accessEnvironment('discovery', deployedAccess('discovery'), { ...values, otherKeyArns: [] });
    expect(environment).not.toHaveProperty('LIFESPAN_KMS_PUBLISHED_KEY_IDS');
  });

  it('refuses to deploy a group that needs a login URL without one', () => {
    expect(() => accessEnvironment('authorize', deployedAccess('authorize'), { ...values, loginUrl: undefined })).toThrow(/loginUrl is required/);
  });

  it('refuses to deploy a local-only group', () => {
    for (const group of LOCAL_ONLY_GROUPS) expect(() => deployedAccess(group as HandlerGroup)).toThrow(/local only/);
  });

  it('knows the group of every route in ROUTES, and local-only groups have only local-only routes', () => {
    for (const route of ROUTES) {
      expect(GROUP_ACCESS[route.group], route.path).toBeDefined();
      if (GROUP_ACCESS[route.group] === LOCAL_ONLY) expect(route.localOnly, route.path).toBe(true);
    }
  });
});
