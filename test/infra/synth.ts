import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LifespanStack, type LifespanStackProps } from '../../infra/lifespan-stack.ts';

export const LOGIN_URL = 'https://login.example.com/login';

export type CfnValue = unknown;
export interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, CfnValue>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Metadata?: Record<string, CfnValue>;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: LifespanStack;
  readonly template: Template;
  readonly resources: Readonly<Record<string, CfnResource>>;
}

/**
 * A `Lifespan-test` stack with the real ROUTES. Bundling (esbuild, a second or so per
 * function) only when asked: the other tests look at the template, not at the code.
 */
export function synth(props: Partial<LifespanStackProps> = {}, options: { readonly bundle?: boolean } = {}): Synthesized {
  const app = new App({
    context: {
      'aws:cdk:enable-asset-metadata': true,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stack = new LifespanStack(app, 'Lifespan-test', { stage: 'test', loginUrl: LOGIN_URL, ...props });
  const template = Template.fromStack(stack);
  return { app, stack, template, resources: template.toJSON()['Resources'] as Record<string, CfnResource> };
}

/** Logical ids of the resources of a type. */
export function idsOf(resources: Readonly<Record<string, CfnResource>>, type: string): string[] {
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id]) => id);
}

/** The one resource of a type whose properties match `predicate`. */
export function only(resources: Readonly<Record<string, CfnResource>>, type: string, predicate: (resource: CfnResource) => boolean = () => true): [string, CfnResource] {
  const found = Object.entries(resources).filter(([, resource]) => resource.Type === type && predicate(resource));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as [string, CfnResource];
}

/** `{ "Fn::GetAtt": [id, "Arn"] }`, how the template refers to a resource's ARN. */
export const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

/** The Lambda functions of the stack by route group (from their description `Lifespan <stage> <group> routes`). */
export function functionsByGroup(resources: Readonly<Record<string, CfnResource>>): Map<string, { id: string; fn: CfnResource }> {
  const byGroup = new Map<string, { id: string; fn: CfnResource }>();
  for (const id of idsOf(resources, 'AWS::Lambda::Function')) {
    const fn = resources[id] as CfnResource;
    const match = /^Lifespan \S+ (\S+) routes$/.exec(String(fn.Properties['Description'] ?? ''));
    if (match?.[1]) byGroup.set(match[1], { id, fn });
  }
  return byGroup;
}

const list = (value: CfnValue): CfnValue[] => (Array.isArray(value) ? value : [value]);

/**
 * Everything a role may do, as `<action> <resource as JSON>` pairs, from every policy attached
 * to it (inline policies, attached policies, managed policies as `managed <arn>`).
 */
export function permissionsOf(resources: Readonly<Record<string, CfnResource>>, roleId: string): Set<string> {
  const pairs = new Set<string>();
  const role = resources[roleId];
  if (!role) throw new Error(`no role ${roleId}`);
  for (const managed of list(role.Properties['ManagedPolicyArns'] ?? [])) pairs.add(`managed ${JSON.stringify(managed)}`);
  const documents: CfnValue[] = list(role.Properties['Policies'] ?? []).map((policy) => (policy as { PolicyDocument: CfnValue }).PolicyDocument);
  for (const policy of Object.values(resources)) {
    if (policy.Type !== 'AWS::IAM::Policy') continue;
    if (!list(policy.Properties['Roles']).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId }))) continue;
    documents.push(policy.Properties['PolicyDocument']);
  }
  for (const document of documents) {
    for (const statement of (document as { Statement: Array<Record<string, CfnValue>> }).Statement) {
      if (statement['Effect'] !== 'Allow' || statement['Condition'] !== undefined || statement['NotAction'] || statement['NotResource']) {
        pairs.add(`unexpected statement ${JSON.stringify(statement)}`);
        continue;
      }
      for (const action of list(statement['Action'])) for (const resource of list(statement['Resource'])) pairs.add(`${String(action)} ${JSON.stringify(resource)}`);
    }
  }
  return pairs;
}
