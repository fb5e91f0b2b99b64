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
} from '../../infra/group-access.ts';
import { EXPECTED_ACCESS, LOCAL_ONLY_GROUPS, expectedPermissions } from './expected-access.ts';

const TABLE = 'arn:aws:dynamodb:eu-west-1:111122223333:table/lifespan';
const INDEX = `${TABLE}/index/by-subject`;
const ACTIVE = 'arn:aws:kms:eu-west-1:111122223333:key/active';
const NEXT = 'arn:aws:kms:eu-west-1:111122223333:key/next';
const MAC = 'arn:aws:kms:eu-west-1:111122223333:key/mac';
const PARAMETERS = ['arn:aws:ssm:eu-west-1:111122223333:parameter/lifespan/prod', 'arn:aws:ssm:eu-west-1:111122223333:parameter/lifespan/prod/*'];

const resources: AccessResources = {
  tableArn: TABLE,
  subjectIndexArn: INDEX,
  activeKeyArn: ACTIVE,
  publishedKeyArns: [ACTIVE, NEXT],
  parameterArns: PARAMETERS,
  successorKeyArn: MAC,
};
const values: EnvironmentValues = {
  stage: 'prod',
  issuer: 'https://auth.example.com',
  tableName: 'lifespan',
  activeKeyArn: ACTIVE,
  otherKeyArns: [NEXT],
  loginUrl: 'https://login.example.com/login',
  successorKeyArn: MAC,
};

function pairsOf(group: HandlerGroup): Set<string> {
  const pairs = new Set<string>();
  for (const statement of accessStatements(deployedAccess(group), resources)) {
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
    const pairs = pairsOf(group as HandlerGroup);
    expect(pairs).toEqual(
      expectedPermissions(expected, {
        table: TABLE,
        subjectIndex: INDEX,
        activeKey: ACTIVE,
        publishedKeys: [ACTIVE, NEXT],
        successorKey: MAC,
        parameters: PARAMETERS,
        always: [],
      }),
    );
    for (const pair of pairs) {
      const [action, resource] = pair.split(' ');
      expect(action).not.toContain('*');
      expect(resource).not.toBe('"*"');
    }
  });

  it('lets only the admin function touch the subject index, and only to Query it', () => {
    for (const group of Object.keys(EXPECTED_ACCESS)) {
      const onIndex = [...pairsOf(group as HandlerGroup)].filter((pair) => pair.endsWith(` ${JSON.stringify(INDEX)}`));
      expect(onIndex, group).toEqual(group === 'admin' ? [`dynamodb:Query ${JSON.stringify(INDEX)}`] : []);
    }
  });

  it('signs with the active key only, never with a key that is merely published', () => {
    for (const group of Object.keys(EXPECTED_ACCESS)) {
      const signing = [...pairsOf(group as HandlerGroup)].filter((pair) => pair.startsWith('kms:Sign '));
      expect(signing, group).toEqual(group === 'token' ? [`kms:Sign ${JSON.stringify(ACTIVE)}`] : []);
    }
  });

  it.each(Object.entries(EXPECTED_ACCESS))('gives %s exactly the environment variables its handler reads', (group, expected) => {
    const environment = accessEnvironment(group as HandlerGroup, deployedAccess(group as HandlerGroup), values);
    expect(Object.keys(environment).sort()).toEqual(
      [...expected.environment, ...(expected.getPublicKey ? ['LIFESPAN_KMS_PUBLISHED_KEY_IDS'] : [])].sort(),
    );
    expect(environment).toMatchObject({ LIFESPAN_STAGE: 'prod', LIFESPAN_ISSUER: 'https://auth.example.com' });
    if (expected.getPublicKey) expect(environment).toMatchObject({ LIFESPAN_SIGNER: 'kms', LIFESPAN_KMS_KEY_ID: ACTIVE, LIFESPAN_KMS_PUBLISHED_KEY_IDS: NEXT });
    if (expected.ssm) expect(environment['LIFESPAN_PARAMETERS']).toBe('ssm');
    if (expected.generateMac) expect(environment['LIFESPAN_KMS_MAC_KEY_ID']).toBe(MAC);
    if (group === 'token') expect(environment['LIFESPAN_DEVICE_VERIFICATION_URL']).toBe('https://login.example.com/device');
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
