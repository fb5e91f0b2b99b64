/**
 * What each function may touch, in one table: its IAM permissions and the environment variables
 * its handler reads (functions/runtime/environment.ts). One row per route group, and one for the
 * events function (the table's stream). The stack derives both from this table, so a function
 * never gets a permission or a setting its row does not list. A new HandlerGroup fails to compile
 * until it has a row here.
 */
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { HandlerGroup } from '../functions/routes.ts';

/**
 * DynamoDB item operations a group may call. No Scan: every access is by key. `BatchGetItem`
 * only for the revoke-all markers (the few that apply, read afresh on every check, in one call).
 * `TransactWriteItems` is authorized per item by the action of each item (Put → PutItem,
 * Update → UpdateItem), so it needs no action of its own here.
 */
export type TableAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query';

/**
 * - `none`: no KMS at all.
 * - `verify`: `kms:GetPublicKey` on every published key (JWKS, `id_token_hint`, token checks).
 * - `sign`: `verify` plus `kms:Sign` on the active key only.
 */
export type KeyAccess = 'none' | 'verify' | 'sign';

export interface GroupAccess {
  /** Item operations on the table itself; empty: no table access and no `LIFESPAN_TABLE`. */
  readonly table: readonly TableAction[];
  /**
   * `dynamodb:Query` on the subject index (`<table>/index/by-subject`): a user's families and
   * sessions, for the operator's listings and for ending them. Nothing else queries an index.
   */
  readonly subjectIndex: boolean;
  readonly keys: KeyAccess;
  /** `ssm:GetParametersByPath` on `/lifespan/<stage>` (lifetimes, overrides) and `LIFESPAN_PARAMETERS=ssm`. */
  readonly lifetimes: boolean;
  /** Admin routes authorized by IAM (SigV4) at API Gateway: `LIFESPAN_ADMIN_AUTH=iam`. */
  readonly adminAuth: boolean;
  /** Sends browsers to the deployer's login app: `LIFESPAN_LOGIN_URL`. */
  readonly loginUrl: boolean;
  /**
   * Uses the server-held HMAC key — refresh-token successors (token), device user-code keys
   * (token stores them, admin looks them up): `kms:GenerateMac` on that key (one call per cold
   * start and use) and `LIFESPAN_KMS_MAC_KEY_ID`.
   */
  readonly macKey: boolean;
  /** Serves `/device_authorization`, which tells devices where users enter their code: `LIFESPAN_DEVICE_VERIFICATION_URL`. */
  readonly deviceVerification: boolean;
  /**
   * Publishes security events: `events:PutEvents` on the stack's bus (`lifespan-<stage>` or the
   * deployer's own) and nothing else of EventBridge, and `LIFESPAN_EVENT_BUS`. Only the events
   * function: the others record events in the table, for it to publish.
   */
  readonly eventBus: boolean;
  /**
   * Signs Security Event Tokens when the stack turns them on (its securityEventTokens prop): then,
   * and only then, `sign` key access (kms:Sign on the active key, GetPublicKey on the published
   * ones), the signer's variables and `LIFESPAN_SECURITY_EVENT_TOKENS=true`.
   */
  readonly securityEventTokens: boolean;
  /** Keeps the rotation history (the stack's rotationHistory prop): `LIFESPAN_ROTATION_HISTORY`. */
  readonly rotationHistory: boolean;
}

/** The function of the table's stream: it publishes the security events and keeps the rotation history. */
export const EVENTS_FUNCTION = 'events';

/** What the table names: a route group, or the events function. */
export type FunctionName = HandlerGroup | typeof EVENTS_FUNCTION;

/** A group whose routes are all `localOnly` (the development login page): no AWS permissions at all. */
export const LOCAL_ONLY = 'local only';

const READ_WRITE: readonly TableAction[] = ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'];

const NOTHING = {
  table: [],
  subjectIndex: false,
  keys: 'none',
  lifetimes: false,
  adminAuth: false,
  loginUrl: false,
  macKey: false,
  deviceVerification: false,
  eventBus: false,
  securityEventTokens: false,
  rotationHistory: false,
} as const;

/** The permission table. */
export const GROUP_ACCESS: Readonly<Record<FunctionName, GroupAccess | typeof LOCAL_ONLY>> = {
  discovery: { ...NOTHING, keys: 'verify' },
  authorize: { ...NOTHING, table: READ_WRITE, keys: 'verify', lifetimes: true, loginUrl: true },
  token: {
    ...NOTHING,
    table: READ_WRITE,
    keys: 'sign',
    lifetimes: true,
    macKey: true,
    deviceVerification: true,
  },
  // PutItem: the record of DPoP proofs seen (one conditional put per DPoP request).
  userinfo: { ...NOTHING, table: ['GetItem', 'BatchGetItem', 'PutItem', 'Query'], keys: 'verify', lifetimes: true },
  admin: { ...NOTHING, table: READ_WRITE, subjectIndex: true, lifetimes: true, adminAuth: true, macKey: true },
  devlogin: LOCAL_ONLY,
  // The table's stream (no route): BatchGetItem reads which events it published already, PutItem
  // remembers them and writes the rotation history. Stream reads and the failed-batch queue come
  // with its event source (infra/constructs/security-events.ts).
  events: { ...NOTHING, table: ['BatchGetItem', 'PutItem'], eventBus: true, securityEventTokens: true, rotationHistory: true },
};

/**
 * The access of a group that has deployable routes.
 *
 * @throws TypeError for a local-only group: its routes must all be `localOnly`.
 */
export function deployedAccess(group: FunctionName): GroupAccess {
  const access = GROUP_ACCESS[group];
  if (access === LOCAL_ONLY) throw new TypeError(`route group ${group} is local only: mark every one of its routes localOnly`);
  return access;
}

/** The ARNs a group's statements are scoped to. */
export interface AccessResources {
  /** The table's ARN. */
  readonly tableArn: string;
  /** The subject index's ARN, `<table arn>/index/by-subject`: by name, no `index/*` wildcard. */
  readonly subjectIndexArn: string;
  /** The key that signs. */
  readonly activeKeyArn: string;
  /** Every key published in the JWKS, the active one included. */
  readonly publishedKeyArns: readonly string[];
  /** `…:parameter/lifespan/<stage>` and `…:parameter/lifespan/<stage>/*`. */
  readonly parameterArns: readonly string[];
  /** The server-held HMAC key (successors, user-code keys); needed only by groups with `macKey`. */
  readonly successorKeyArn: string | undefined;
  /** The security events bus; needed only by the function with `eventBus`. */
  readonly eventBusArn?: string | undefined;
  /** Whether the stack signs Security Event Tokens (its securityEventTokens prop). @default false */
  readonly securityEventTokens?: boolean;
}

/** The key access a row has in this stack: a SET signer signs only when the stack turns SETs on. */
function keyAccess(access: GroupAccess, securityEventTokens: boolean | undefined): KeyAccess {
  return access.keys === 'none' && access.securityEventTokens && securityEventTokens === true ? 'sign' : access.keys;
}

/**
 * The IAM statements a group's role needs beyond writing its own logs.
 *
 * @example
 * for (const statement of accessStatements(GROUP_ACCESS.token, resources)) fn.addToRolePolicy(statement);
 */
export function accessStatements(access: GroupAccess, resources: AccessResources): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  if (access.table.length > 0) {
    statements.push(new PolicyStatement({ actions: access.table.map((action) => `dynamodb:${action}`), resources: [resources.tableArn] }));
  }
  if (access.subjectIndex) {
    statements.push(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [resources.subjectIndexArn] }));
  }
  const keys = keyAccess(access, resources.securityEventTokens);
  if (keys !== 'none') {
    statements.push(new PolicyStatement({ actions: ['kms:GetPublicKey'], resources: [...resources.publishedKeyArns] }));
  }
  if (keys === 'sign') {
    statements.push(new PolicyStatement({ actions: ['kms:Sign'], resources: [resources.activeKeyArn] }));
  }
  if (access.macKey) {
    if (resources.successorKeyArn === undefined) throw new TypeError('macKey needs successorKeyArn');
    statements.push(new PolicyStatement({ actions: ['kms:GenerateMac'], resources: [resources.successorKeyArn] }));
  }
  if (access.lifetimes) {
    statements.push(new PolicyStatement({ actions: ['ssm:GetParametersByPath'], resources: [...resources.parameterArns] }));
  }
  if (access.eventBus) {
    if (resources.eventBusArn === undefined) throw new TypeError('eventBus needs eventBusArn');
    statements.push(new PolicyStatement({ actions: ['events:PutEvents'], resources: [resources.eventBusArn] }));
  }
  return statements;
}

/** The values the environment variables are set from. */
export interface EnvironmentValues {
  readonly stage: string;
  readonly issuer: string;
  readonly tableName: string;
  readonly activeKeyArn: string;
  /** Published keys other than the active one (the next key, or the previous one). */
  readonly otherKeyArns: readonly string[];
  /** Required when a group with `loginUrl` is deployed. */
  readonly loginUrl: string | undefined;
  /** Required when a group with `macKey` is deployed. */
  readonly successorKeyArn: string | undefined;
  /** Where users enter device codes; defaults to `/device` beside the login URL. */
  readonly deviceVerificationUrl?: string | undefined;
  /** The security events bus (its ARN); required for the function with `eventBus`. */
  readonly eventBusArn?: string | undefined;
  /** Whether the stack signs Security Event Tokens. @default false */
  readonly securityEventTokens?: boolean;
  /** Whether the rotation history is kept. @default true */
  readonly rotationHistory?: boolean;
}

/**
 * The environment variables a group's handler reads, and only those.
 *
 * @throws TypeError when the group needs a login URL and none is given.
 */
export function accessEnvironment(group: FunctionName, access: GroupAccess, values: EnvironmentValues): Record<string, string> {
  const environment: Record<string, string> = { LIFESPAN_STAGE: values.stage, LIFESPAN_ISSUER: values.issuer };
  if (access.table.length > 0) environment['LIFESPAN_TABLE'] = values.tableName;
  const keys = keyAccess(access, values.securityEventTokens);
  // LIFESPAN_SIGNER selects KMS for both signing and successor derivation (readSuccessorEnvironment).
  if (keys !== 'none' || access.macKey) environment['LIFESPAN_SIGNER'] = 'kms';
  if (keys !== 'none') {
    environment['LIFESPAN_KMS_KEY_ID'] = values.activeKeyArn;
    if (values.otherKeyArns.length > 0) environment['LIFESPAN_KMS_PUBLISHED_KEY_IDS'] = values.otherKeyArns.join(',');
  }
  if (access.macKey) {
    if (values.successorKeyArn === undefined) throw new TypeError('macKey needs successorKeyArn');
    environment['LIFESPAN_KMS_MAC_KEY_ID'] = values.successorKeyArn;
  }
  if (access.lifetimes) environment['LIFESPAN_PARAMETERS'] = 'ssm';
  if (access.eventBus) {
    if (values.eventBusArn === undefined) throw new TypeError(`eventBusArn is required: the ${group} function publishes security events`);
    environment['LIFESPAN_EVENT_BUS'] = values.eventBusArn;
  }
  if (access.securityEventTokens && values.securityEventTokens === true) environment['LIFESPAN_SECURITY_EVENT_TOKENS'] = 'true';
  if (access.rotationHistory) environment['LIFESPAN_ROTATION_HISTORY'] = String(values.rotationHistory ?? true);
  if (access.adminAuth) environment['LIFESPAN_ADMIN_AUTH'] = 'iam';
  if (access.loginUrl) {
    if (values.loginUrl === undefined) {
      throw new TypeError(
        `loginUrl is required: the ${group} routes send browsers to your login app ` +
          '(deploy with -c loginUrl=https://login.example.com/login, or pass the loginUrl prop)',
      );
    }
    environment['LIFESPAN_LOGIN_URL'] = values.loginUrl;
  }
  if (access.deviceVerification) {
    const url = values.deviceVerificationUrl ?? (values.loginUrl !== undefined ? new URL('device', values.loginUrl).toString() : undefined);
    if (url === undefined) {
      throw new TypeError(`deviceVerificationUrl (or loginUrl) is required: the ${group} routes tell devices where users enter their code`);
    }
    environment['LIFESPAN_DEVICE_VERIFICATION_URL'] = url;
  }
  return environment;
}
