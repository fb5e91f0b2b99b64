/**
 * The permissions and environment each route group must get, written out independently of
 * infra/group-access.ts so the tests compare the table against the specification rather than
 * against itself.
 */
export interface ExpectedAccess {
  /** Actions on the table itself. */
  readonly dynamodb: readonly string[];
  /** dynamodb:Query on the subject index, and nothing else on any index. */
  readonly subjectIndexQuery: boolean;
  /** kms:GetPublicKey on every published key. */
  readonly getPublicKey: boolean;
  /** kms:Sign on the active key only. */
  readonly sign: boolean;
  /** kms:GenerateMac on the server's HMAC key (refresh successors, device user-code keys). */
  readonly generateMac: boolean;
  /** ssm:GetParametersByPath on /lifespan/<stage> and /lifespan/<stage>/*. */
  readonly ssm: boolean;
  /** events:PutEvents on the security events bus, and nothing else of EventBridge. */
  readonly putEvents: boolean;
  readonly environment: readonly string[];
}

const CORE = ['LIFESPAN_STAGE', 'LIFESPAN_ISSUER'];
const KMS = ['LIFESPAN_SIGNER', 'LIFESPAN_KMS_KEY_ID'];
const READ_WRITE = ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'];

export const EXPECTED_ACCESS: Readonly<Record<string, ExpectedAccess>> = {
  discovery: { dynamodb: [], subjectIndexQuery: false, getPublicKey: true, sign: false, generateMac: false, ssm: false, putEvents: false, environment: [...CORE, ...KMS] },
  authorize: {
    dynamodb: READ_WRITE,
    subjectIndexQuery: false,
    getPublicKey: true,
    sign: false,
    generateMac: false,
    ssm: true,
    putEvents: false,
    environment: [...CORE, 'LIFESPAN_TABLE', ...KMS, 'LIFESPAN_PARAMETERS', 'LIFESPAN_LOGIN_URL'],
  },
  token: {
    dynamodb: READ_WRITE,
    subjectIndexQuery: false,
    getPublicKey: true,
    sign: true,
    generateMac: true,
    ssm: true,
    putEvents: false,
    environment: [...CORE, 'LIFESPAN_TABLE', ...KMS, 'LIFESPAN_KMS_MAC_KEY_ID', 'LIFESPAN_PARAMETERS', 'LIFESPAN_DEVICE_VERIFICATION_URL'],
  },
  userinfo: {
    dynamodb: ['GetItem', 'BatchGetItem', 'PutItem', 'Query'],
    subjectIndexQuery: false,
    getPublicKey: true,
    sign: false,
    generateMac: false,
    ssm: true,
    putEvents: false,
    environment: [...CORE, 'LIFESPAN_TABLE', ...KMS, 'LIFESPAN_PARAMETERS'],
  },
  admin: {
    dynamodb: READ_WRITE,
    subjectIndexQuery: true,
    getPublicKey: false,
    sign: false,
    // Looks device user codes up by their keyed hash (RFC 8628 §5.1: never a plain hash).
    generateMac: true,
    ssm: true,
    putEvents: false,
    environment: [...CORE, 'LIFESPAN_TABLE', 'LIFESPAN_SIGNER', 'LIFESPAN_KMS_MAC_KEY_ID', 'LIFESPAN_PARAMETERS', 'LIFESPAN_ADMIN_AUTH'],
  },
  // The table's stream: which events it published (BatchGetItem), what it published and the
  // rotations (PutItem), and the one function that may publish to the bus. Signing only with
  // securityEventTokens on (EXPECTED_SET_SIGNER).
  events: {
    dynamodb: ['BatchGetItem', 'PutItem'],
    subjectIndexQuery: false,
    getPublicKey: false,
    sign: false,
    generateMac: false,
    ssm: false,
    putEvents: true,
    environment: [...CORE, 'LIFESPAN_TABLE', 'LIFESPAN_EVENT_BUS', 'LIFESPAN_ROTATION_HISTORY'],
  },
};

/** The events function with securityEventTokens on: it also signs (the SETs), with the active key only. */
export const EXPECTED_SET_SIGNER: ExpectedAccess = {
  ...(EXPECTED_ACCESS['events'] as ExpectedAccess),
  getPublicKey: true,
  sign: true,
  environment: [...CORE, 'LIFESPAN_TABLE', 'LIFESPAN_EVENT_BUS', 'LIFESPAN_ROTATION_HISTORY', ...KMS, 'LIFESPAN_SECURITY_EVENT_TOKENS'],
};

/** Groups that are never deployed (their routes are all localOnly). */
export const LOCAL_ONLY_GROUPS: readonly string[] = ['devlogin'];

/** The ARNs the expectations refer to, as they appear in the template. */
export interface ExpectedResources {
  readonly table: unknown;
  /** `<table arn>/index/by-subject`. */
  readonly subjectIndex: unknown;
  readonly activeKey: unknown;
  readonly publishedKeys: readonly unknown[];
  readonly successorKey: unknown;
  readonly parameters: readonly unknown[];
  /** The security events bus. */
  readonly eventBus: unknown;
  /** Extra pairs every role has (its own log group). */
  readonly always: readonly string[];
}

/** The `<action> <resource JSON>` pairs a group's role must hold: exactly these. */
export function expectedPermissions(expected: ExpectedAccess, resources: ExpectedResources): Set<string> {
  const pairs = new Set<string>(resources.always);
  const add = (action: string, resource: unknown) => pairs.add(`${action} ${JSON.stringify(resource)}`);
  for (const action of expected.dynamodb) add(`dynamodb:${action}`, resources.table);
  if (expected.subjectIndexQuery) add('dynamodb:Query', resources.subjectIndex);
  if (expected.getPublicKey) for (const key of resources.publishedKeys) add('kms:GetPublicKey', key);
  if (expected.sign) add('kms:Sign', resources.activeKey);
  if (expected.generateMac) add('kms:GenerateMac', resources.successorKey);
  if (expected.ssm) for (const parameter of resources.parameters) add('ssm:GetParametersByPath', parameter);
  if (expected.putEvents) add('events:PutEvents', resources.eventBus);
  return pairs;
}
