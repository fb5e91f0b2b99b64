import { Stack, type StackProps } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { HandlerGroup } from '../functions/routes.ts';
import { HandlerFunction } from './constructs/handler-function.ts';
import { LifespanHttpApi } from './constructs/http-api.ts';
import { SigningKeys, type SigningKeySpec } from './constructs/signing-keys.ts';
import { LifespanTable } from './constructs/table.ts';

export interface LifespanStackProps extends StackProps {
  /** Names the SSM prefix `/lifespan/<stage>/`, aliases and resources. @default 'prod' */
  readonly stage?: string;
  /**
   * The issuer (`iss`), e.g. `https://auth.example.com` behind a custom domain. It must stay
   * the same across deploys: every relying party pins it.
   * @default the HTTP API's URL
   */
  readonly issuer?: string;
  /** @default 'RSA_2048' */
  readonly keySpec?: SigningKeySpec;
  /** A second signing key for rotation (see README). @default none */
  readonly nextKeySpec?: SigningKeySpec;
  /** @default 'current' */
  readonly activeKeySlot?: 'current' | 'next';
  /** @default true */
  readonly tableDeletionProtection?: boolean;
}

/** Lifespan in one stack: the HTTP API, one function per route group, the table, the keys. */
export class LifespanStack extends Stack {
  readonly functions: Readonly<Partial<Record<HandlerGroup, HandlerFunction>>>;

  constructor(scope: Construct, id: string, props: LifespanStackProps = {}) {
    super(scope, id, props);
    const stage = props.stage ?? 'prod';
    if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(stage)) throw new TypeError(`stage must match [a-z0-9-] (1–32), not ${stage}`);

    const { table } = new LifespanTable(this, 'Store', { deletionProtection: props.tableDeletionProtection ?? true });
    const keys = new SigningKeys(this, 'SigningKeys', {
      stage,
      ...(props.keySpec && { keySpec: props.keySpec }),
      ...(props.nextKeySpec && { nextKeySpec: props.nextKeySpec }),
      ...(props.activeKeySlot && { activeSlot: props.activeKeySlot }),
    });

    const functions: Partial<Record<HandlerGroup, HandlerFunction>> = {};
    const make = (group: HandlerGroup, environment: Record<string, string>) => {
      const handler = new HandlerFunction(this, `${group[0]!.toUpperCase()}${group.slice(1)}Function`, {
        group,
        stage,
        environment: { LIFESPAN_STAGE: stage, ...environment },
      });
      functions[group] = handler;
      return handler.fn;
    };
    const signerEnvironment = {
      LIFESPAN_SIGNER: 'kms',
      LIFESPAN_KMS_KEY_ID: keys.active.keyArn,
      LIFESPAN_KMS_PUBLISHED_KEY_IDS: keys.published
        .slice(1)
        .map((key) => key.keyArn)
        .join(','),
    };
    const parametersRead = new PolicyStatement({
      actions: ['ssm:GetParametersByPath'],
      resources: [
        this.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `lifespan/${stage}` }),
        this.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `lifespan/${stage}/*` }),
      ],
    });

    const discovery = make('discovery', { ...signerEnvironment });
    for (const key of keys.published) key.grant(discovery, 'kms:GetPublicKey');

    const admin = make('admin', { LIFESPAN_TABLE: table.tableName, LIFESPAN_ADMIN_AUTH: 'iam', LIFESPAN_PARAMETERS: 'ssm' });
    table.grant(admin, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem');
    admin.addToRolePolicy(parametersRead);

    const { api } = new LifespanHttpApi(this, 'Http', {
      stage,
      functions: { discovery, admin },
    });
    const issuer = props.issuer ?? api.apiEndpoint;
    for (const handler of Object.values(functions)) handler?.fn.addEnvironment('LIFESPAN_ISSUER', issuer);
    this.functions = functions;
  }
}
