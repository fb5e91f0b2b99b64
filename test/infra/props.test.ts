import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LifespanStack, type LifespanStackProps } from '../../infra/lifespan-stack.ts';
import { arnOf, functionsByGroup, idsOf, only, permissionsOf, synth, type CfnResource } from './synth.ts';

const CERTIFICATE = 'arn:aws:acm:eu-west-1:111122223333:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';

const environmentOf = (fn: CfnResource) => (fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;

function construct(props: Partial<LifespanStackProps>): () => LifespanStack {
  return () => new LifespanStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Lifespan-test', { stage: 'test', loginUrl: 'https://login.example.com/login', ...props });
}

describe('custom domain and issuer', () => {
  it('maps the API under the custom domain, TLS 1.2, and makes https://<domain> the issuer', () => {
    const { resources, template } = synth({ domainName: 'auth.example.com', certificateArn: CERTIFICATE });
    const [domainId, domain] = only(resources, 'AWS::ApiGatewayV2::DomainName');
    expect(domain.Properties).toMatchObject({
      DomainName: 'auth.example.com',
      DomainNameConfigurations: [{ CertificateArn: CERTIFICATE, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
    });
    const [apiId] = only(resources, 'AWS::ApiGatewayV2::Api');
    const [, mapping] = only(resources, 'AWS::ApiGatewayV2::ApiMapping');
    expect(mapping.Properties).toMatchObject({ ApiId: { Ref: apiId }, DomainName: { Ref: domainId } });
    expect(mapping.Properties['ApiMappingKey']).toBeUndefined();
    for (const [, { fn }] of functionsByGroup(resources)) expect(environmentOf(fn)['LIFESPAN_ISSUER']).toBe('https://auth.example.com');
    const outputs = template.toJSON()['Outputs'] as Record<string, { Value: unknown }>;
    expect(outputs['Issuer']?.Value).toBe('https://auth.example.com');
    expect(outputs['CustomDomainTarget']?.Value).toEqual({ 'Fn::GetAtt': [domainId, 'RegionalDomainName'] });
  });

  it('lets an explicit issuer override both the domain and the API URL', () => {
    const { resources } = synth({ issuer: 'https://id.example.com', domainName: 'auth.example.com', certificateArn: CERTIFICATE });
    for (const [, { fn }] of functionsByGroup(resources)) expect(environmentOf(fn)['LIFESPAN_ISSUER']).toBe('https://id.example.com');
  });

  it.each([
    ['http://auth.example.com', /https/],
    ['https://auth.example.com/', /trailing slash|slash/],
    ['https://auth.example.com?x=1', /query or fragment/],
    ['https://auth.example.com#top', /query or fragment/],
    ['https://user:pw@auth.example.com', /user information/],
    ['auth.example.com', /absolute URL/],
  ])('refuses the issuer %s', (issuer, message) => {
    expect(construct({ issuer })).toThrow(message);
  });

  it('refuses a domain without its certificate, a bad domain or a bad certificate ARN', () => {
    expect(construct({ domainName: 'auth.example.com' })).toThrow(/domainName and certificateArn go together/);
    expect(construct({ certificateArn: CERTIFICATE })).toThrow(/domainName and certificateArn go together/);
    expect(construct({ domainName: 'Auth.Example.com', certificateArn: CERTIFICATE })).toThrow(/lowercase DNS name/);
    expect(construct({ domainName: 'auth.example.com', certificateArn: 'arn:aws:iam::111122223333:server-certificate/x' })).toThrow(/ACM certificate ARN/);
  });
});

describe('login URL', () => {
  it('without -c loginUrl, synthesizes offline with required CloudFormation parameters that a deploy must fill', () => {
    const stack = construct({ loginUrl: undefined })();
    const template = Template.fromStack(stack);
    const parameters = template.toJSON()['Parameters'] as Record<string, { Type: string; Default?: string; AllowedPattern?: string }>;
    for (const name of ['LoginUrl', 'DeviceVerificationUrl']) {
      expect(parameters[name], name).toMatchObject({ Type: 'String', AllowedPattern: expect.stringContaining('https') });
      // No default: CloudFormation refuses to create or update the stack without a value.
      expect(parameters[name]?.Default, name).toBeUndefined();
    }
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Array<{ Properties: { Environment?: { Variables?: Record<string, unknown> } } }>;
    const variables = functions.map((fn) => fn.Properties.Environment?.Variables ?? {});
    expect(variables.some((vars) => JSON.stringify(vars['LIFESPAN_LOGIN_URL']) === JSON.stringify({ Ref: 'LoginUrl' }))).toBe(true);
    expect(variables.some((vars) => JSON.stringify(vars['LIFESPAN_DEVICE_VERIFICATION_URL']) === JSON.stringify({ Ref: 'DeviceVerificationUrl' }))).toBe(true);
  });

  it.each([['http://login.example.com'], ['https://login.example.com/#x'], ['login']])('refuses %s', (loginUrl) => {
    expect(construct({ loginUrl })).toThrow(/loginUrl/);
  });

  it('keeps a query the login app needs', () => {
    expect(construct({ loginUrl: 'https://login.example.com/login?tenant=a' })).not.toThrow();
  });
});

describe('key rotation slots', () => {
  const keys = (resources: Record<string, CfnResource>) =>
    idsOf(resources, 'AWS::KMS::Key').filter((id) => resources[id]?.Properties['KeyUsage'] === 'SIGN_VERIFY');
  const keyIn = (resources: Record<string, CfnResource>, slot: string) =>
    only(resources, 'AWS::KMS::Key', (key) => String(key.Properties['Description']).includes(`(${slot} slot)`))[0];

  function signing(resources: Record<string, CfnResource>) {
    const result = new Map<string, { sign: string[]; publicKey: string[]; environment: Record<string, unknown> }>();
    for (const [group, { fn }] of functionsByGroup(resources)) {
      const roleId = (fn.Properties['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const pairs = [...permissionsOf(resources, roleId)];
      const keysFor = (action: string) => pairs.filter((pair) => pair.startsWith(`${action} `)).map((pair) => pair.slice(action.length + 1)).sort();
      result.set(group, { sign: keysFor('kms:Sign'), publicKey: keysFor('kms:GetPublicKey'), environment: environmentOf(fn) });
    }
    return result;
  }

  it('publishes the next key (ECC by choice) while the current one still signs', () => {
    const { resources } = synth({ nextKeySpec: 'ECC_NIST_P256' });
    expect(keys(resources)).toHaveLength(2);
    const current = keyIn(resources, 'current');
    const next = keyIn(resources, 'next');
    expect(resources[next]?.Properties['KeySpec']).toBe('ECC_NIST_P256');
    const byGroup = signing(resources);
    expect(byGroup.get('token')?.sign).toEqual([JSON.stringify(arnOf(current))]);
    for (const group of ['discovery', 'token']) {
      expect(byGroup.get(group)?.publicKey, group).toEqual([JSON.stringify(arnOf(current)), JSON.stringify(arnOf(next))].sort());
      expect(byGroup.get(group)?.environment).toMatchObject({ LIFESPAN_KMS_KEY_ID: arnOf(current), LIFESPAN_KMS_PUBLISHED_KEY_IDS: arnOf(next) });
    }
  });

  it('signs with the next key after the switch and keeps the old one published', () => {
    const { resources, template } = synth({ nextKeySpec: 'RSA_2048', activeKeySlot: 'next' });
    const current = keyIn(resources, 'current');
    const next = keyIn(resources, 'next');
    const byGroup = signing(resources);
    expect(byGroup.get('token')?.sign).toEqual([JSON.stringify(arnOf(next))]);
    expect(byGroup.get('discovery')?.environment).toMatchObject({ LIFESPAN_KMS_KEY_ID: arnOf(next), LIFESPAN_KMS_PUBLISHED_KEY_IDS: arnOf(current) });
    const outputs = template.toJSON()['Outputs'] as Record<string, { Value: unknown }>;
    expect(outputs['ActiveSigningKeyArn']?.Value).toEqual(arnOf(next));
    expect(outputs['SigningKeyNextAlias']?.Value).toBe('alias/lifespan/test/signing-next');
  });

  it('retires the current slot once the next key signs, keeping the next key as it was', () => {
    const before = synth({ nextKeySpec: 'RSA_2048', activeKeySlot: 'next' });
    const after = synth({ keySpec: 'none', nextKeySpec: 'RSA_2048', activeKeySlot: 'next' });
    expect(keys(after.resources)).toEqual([keyIn(before.resources, 'next')]);
    const byGroup = signing(after.resources);
    expect(byGroup.get('discovery')?.environment).not.toHaveProperty('LIFESPAN_KMS_PUBLISHED_KEY_IDS');
  });

  it('refuses impossible slot combinations', () => {
    expect(construct({ activeKeySlot: 'next' })).toThrow(/needs nextKeySpec/);
    expect(construct({ keySpec: 'none' })).toThrow(/keySpec "none"/);
    expect(construct({ keySpec: 'none', nextKeySpec: 'RSA_2048' })).toThrow(/keySpec "none"/);
  });
});

describe('other props', () => {
  it('sets the stage throttling from props and refuses nonsense', () => {
    const { resources } = synth({ throttlingRateLimit: 50, throttlingBurstLimit: 100 });
    const [, stage] = only(resources, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties['DefaultRouteSettings']).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    expect(construct({ throttlingRateLimit: 0 })).toThrow(/throttlingRateLimit/);
    expect(construct({ throttlingBurstLimit: 1.5 })).toThrow(/throttlingBurstLimit/);
  });

  it('can turn table deletion protection off (for throwaway stages), and keeps it on by default', () => {
    const { template } = synth({ tableDeletionProtection: false });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { Replicas: [{ DeletionProtectionEnabled: false, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, Region: { Ref: 'AWS::Region' } }] });
  });

  it('refuses a bad stage, alarm address or 5xx threshold', () => {
    expect(construct({ stage: 'Prod' })).toThrow(/stage must match/);
    expect(construct({ stage: 'a'.repeat(33) })).toThrow(/stage must match/);
    expect(construct({ alarmEmail: 'oncall' })).toThrow(/alarmEmail/);
    expect(construct({ serverErrorRatePercent: 0 })).toThrow(/serverErrorRatePercent/);
    expect(construct({ serverErrorRatePercent: 101 })).toThrow(/serverErrorRatePercent/);
  });
});

describe('X-Ray tracing', () => {
  let off: Record<string, CfnResource>;
  let on: Record<string, CfnResource>;
  beforeAll(() => {
    off = synth().resources;
    on = synth({ tracing: true }).resources;
  });
  const xray = ['xray:PutTraceSegments "*"', 'xray:PutTelemetryRecords "*"'];
  const roleOf = (fn: CfnResource) => (fn.Properties['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

  it('is off by default: no tracing configuration and no X-Ray permission on any function', () => {
    const functions = idsOf(off, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(1);
    for (const id of functions) {
      const fn = off[id] as CfnResource;
      expect(fn.Properties['TracingConfig'], id).toBeUndefined();
      for (const pair of xray) expect(permissionsOf(off, roleOf(fn)), id).not.toContain(pair);
    }
    expect(JSON.stringify(off)).not.toContain('xray:');
  });

  it('with tracing: true, traces every function actively and adds exactly the two X-Ray actions to each role', () => {
    const functions = idsOf(on, 'AWS::Lambda::Function');
    expect(functions.sort()).toEqual(idsOf(off, 'AWS::Lambda::Function').sort());
    for (const id of functions) {
      const fn = on[id] as CfnResource;
      expect(fn.Properties['TracingConfig'], id).toEqual({ Mode: 'Active' });
      expect(permissionsOf(on, roleOf(fn)), id).toEqual(new Set([...permissionsOf(off, roleOf(off[id] as CfnResource)), ...xray]));
    }
  });

  it('gives the API Gateway stage nothing extra', () => {
    expect(only(on, 'AWS::ApiGatewayV2::Stage')[1]).toEqual(only(off, 'AWS::ApiGatewayV2::Stage')[1]);
  });
});
