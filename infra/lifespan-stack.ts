import { CfnParameter, CfnOutput, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { SUBJECT_INDEX } from '../functions/adapters/dynamodb/table-definition.ts';
import { ROUTES, type HandlerGroup } from '../functions/routes.ts';
import { LifespanAlarms } from './constructs/alarms.ts';
import { CustomDomain } from './constructs/custom-domain.ts';
import { LifespanDashboard } from './constructs/dashboard.ts';
import { HandlerFunction } from './constructs/handler-function.ts';
import { LifespanHttpApi } from './constructs/http-api.ts';
import { SigningKeys, type KeySlot, type SigningKeySpec } from './constructs/signing-keys.ts';
import { SuccessorKey } from './constructs/successor-key.ts';
import { SecurityEvents } from './constructs/security-events.ts';
import { LifespanTable } from './constructs/table.ts';
import { acknowledgeWildcardResource } from './nag.ts';
import { accessEnvironment, accessStatements, deployedAccess, type AccessResources } from './group-access.ts';
import { assertIssuer, assertLoginUrl, assertStage } from './validation.ts';

export interface LifespanStackProps extends StackProps {
  /** Names the SSM prefix `/lifespan/<stage>/`, aliases, alarms and the dashboard. @default 'prod' */
  readonly stage?: string;
  /**
   * The issuer (`iss`): https, no query, fragment or trailing slash. It must stay the same
   * across deploys: every relying party pins it, and tokens with another `iss` are refused.
   * @default `https://<domainName>` with a custom domain, else the HTTP API's URL
   */
  readonly issuer?: string;
  /** A custom domain for the API, e.g. `auth.example.com`; needs `certificateArn`. @default none */
  readonly domainName?: string;
  /** The ACM certificate of `domainName`, in the stack's region. @default none */
  readonly certificateArn?: string;
  /**
   * The deployer's login app: `/authorize` redirects browsers there with a `login_challenge`
   * (Ory Hydra's model). https, no fragment. Required as soon as an `authorize` route is
   * deployed: synthesis fails without it rather than deploy an `/authorize` that cannot log
   * anyone in.
   * @default none
   */
  readonly loginUrl?: string;
  /**
   * The page of your login app where users enter a device's user code (RFC 8628
   * `verification_uri`). https.
   * @default `device` beside `loginUrl` (https://login.example.com/login → https://login.example.com/device)
   */
  readonly deviceVerificationUrl?: string;
  /** The key in the `current` slot; `'none'` retires it after a rotation. @default 'RSA_2048' */
  readonly keySpec?: SigningKeySpec | 'none';
  /** A key in the `next` slot, for rotation (README: Rotating the signing key). @default none */
  readonly nextKeySpec?: SigningKeySpec;
  /** @default 'current' */
  readonly activeKeySlot?: KeySlot;
  /** @default true */
  readonly tableDeletionProtection?: boolean;
  /** Steady-state requests per second for the whole API. @default 1000 */
  readonly throttlingRateLimit?: number;
  /** Burst capacity of the whole API. @default 2000 */
  readonly throttlingBurstLimit?: number;
  /** Retention of function and access logs. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Receives the alarms (after confirming SNS's mail). @default no subscription */
  readonly alarmEmail?: string;
  /** 5xx percentage over 5 minutes that raises the API alarm. @default 1 */
  readonly serverErrorRatePercent?: number;
  /**
   * Keep every rotation of every refresh family for the timeline (`GET /admin/families/{id}`):
   * the events function writes one item per rotation, off the refresh path. Without it the
   * timeline shows the newest 20 rotations and counts the others.
   * @default true
   */
  readonly rotationHistory?: boolean;
  /**
   * The EventBridge bus the security events go to (README: Security events).
   * @default a new custom bus `lifespan-<stage>`
   */
  readonly eventBus?: IEventBus;
  /** An existing bus by ARN (the `eventBusArn` context), instead of `eventBus`. @default none */
  readonly eventBusArn?: string;
  /**
   * A Security Event Token (RFC 8417, `typ: secevent+jwt`, signed with the active signing key)
   * in each event's detail (`set`), to forward to an OpenID Shared Signals receiver unchanged.
   * The events function then may sign with the active key.
   * @default false
   */
  readonly securityEventTokens?: boolean;
  /**
   * Detected refresh-token reuses in 5 minutes above which the static reuse alarm fires. Each
   * reuse is an event on the bus (whose it is, and which family); the alarm is for bursts, beside
   * the anomaly-detection alarm on the reuse rate.
   * @default 5
   */
  readonly reuseAlarmThreshold?: number;
  /**
   * X-Ray active tracing on every function (CDK grants each role `xray:PutTraceSegments` and
   * `xray:PutTelemetryRecords`). The HTTP API has no X-Ray tracing of its own.
   * @default false
   */
  readonly tracing?: boolean;
}

/**
 * Lifespan in one stack: the HTTP API, one function per route group that has deployable routes
 * (permissions and environment from infra/group-access.ts), the table, the signing keys,
 * alarms and a dashboard. Lifetimes live in SSM under `/lifespan/<stage>/` and are never
 * created here: the service runs on built-in defaults until an operator sets a value, and no
 * deploy can reset one.
 */
export class LifespanStack extends Stack {
  readonly stage: string;
  readonly issuer: string;
  readonly functions: Readonly<Partial<Record<HandlerGroup, HandlerFunction>>>;
  readonly http: LifespanHttpApi;
  readonly keys: SigningKeys;
  /** Present when a deployed group derives refresh-token successors (the token group). */
  readonly successorKey: SuccessorKey | undefined;
  readonly table: LifespanTable;
  /** The events function (the table's stream), its bus and its failed-batch queue. */
  readonly securityEvents: SecurityEvents;
  readonly alarms: LifespanAlarms;
  readonly dashboard: LifespanDashboard;

  constructor(scope: Construct, id: string, props: LifespanStackProps = {}) {
    super(scope, id, props);
    const stage = props.stage ?? 'prod';
    assertStage(stage);
    this.stage = stage;
    if ((props.domainName === undefined) !== (props.certificateArn === undefined)) {
      throw new TypeError('domainName and certificateArn go together: give both or neither');
    }
    if (props.loginUrl !== undefined) assertLoginUrl(props.loginUrl);
    // Without -c loginUrl the template still synthesizes (offline, from a clean clone), and the
    // login URL becomes a CloudFormation parameter that a deploy must be given: CloudFormation
    // refuses a stack whose required parameter has no value, so /authorize is never deployed
    // without a login app.
    const loginUrl =
      props.loginUrl ??
      new CfnParameter(this, 'LoginUrl', {
        type: 'String',
        description: 'Your login app: /authorize sends browsers here with ?login_challenge=… (https).',
        allowedPattern: '^https://[^#\\s]+$',
        constraintDescription: 'an https URL without a fragment',
      }).valueAsString;
    const deviceVerificationUrl =
      props.deviceVerificationUrl ??
      (props.loginUrl === undefined
        ? new CfnParameter(this, 'DeviceVerificationUrl', {
            type: 'String',
            description: 'The page of your login app where users enter a device user code (https).',
            allowedPattern: '^https://[^#\\s]+$',
            constraintDescription: 'an https URL without a fragment',
          }).valueAsString
        : undefined);
    if (props.deviceVerificationUrl !== undefined) assertLoginUrl(props.deviceVerificationUrl);

    const keepHistory = props.rotationHistory ?? true;
    const tracing = props.tracing ?? false;
    // The stream feeds the events function (security events, and the rotation history).
    this.table = new LifespanTable(this, 'Store', { deletionProtection: props.tableDeletionProtection ?? true, stream: true });
    const table = this.table.table;
    this.keys = new SigningKeys(this, 'SigningKeys', {
      stage,
      ...(props.keySpec && { keySpec: props.keySpec }),
      ...(props.nextKeySpec && { nextKeySpec: props.nextKeySpec }),
      ...(props.activeKeySlot && { activeSlot: props.activeKeySlot }),
    });

    // The default issuer is the API's URL, which exists only once the API (built from the
    // functions) does: resolved lazily at synthesis.
    const api: { current?: LifespanHttpApi } = {};
    this.issuer =
      props.issuer ??
      (props.domainName !== undefined
        ? `https://${props.domainName}`
        : Lazy.string({ produce: () => api.current?.api.apiEndpoint ?? '' }));
    assertIssuer(this.issuer);

    const deployable = ROUTES.filter((route) => !route.localOnly);
    const groups = [...new Set(deployable.map((route) => route.group))].map((group) => ({ group, access: deployedAccess(group) }));
    if (props.eventBus !== undefined && props.eventBusArn !== undefined) throw new TypeError('eventBus and eventBusArn name the same bus: give one');
    if (props.eventBusArn !== undefined && !/^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[A-Za-z0-9._\-/]+$/.test(props.eventBusArn)) {
      throw new TypeError(`eventBusArn must be an EventBridge bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>), not ${props.eventBusArn}`);
    }
    const existingBus = props.eventBus ?? (props.eventBusArn !== undefined ? EventBus.fromEventBusArn(this, 'ExistingEventBus', props.eventBusArn) : undefined);
    this.successorKey = groups.some(({ access }) => access.macKey) ? new SuccessorKey(this, 'SuccessorKey', { stage }) : undefined;
    this.securityEvents = new SecurityEvents(this, 'SecurityEvents', {
      stage,
      issuer: this.issuer,
      table,
      rotationHistory: keepHistory,
      tracing,
      ...(existingBus && { eventBus: existingBus }),
      ...(props.securityEventTokens === true && {
        securityEventTokens: { activeKeyArn: this.keys.active.key.keyArn, publishedKeyArns: this.keys.published.map(({ key }) => key.keyArn) },
      }),
      ...(props.logRetention !== undefined && { logRetention: props.logRetention }),
    });
    const events = this.securityEvents;
    const successorKeyArn = this.successorKey?.key.keyArn;

    const parameterPathArn = this.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `lifespan/${stage}/*` });
    const resources: AccessResources = {
      tableArn: table.tableArn,
      subjectIndexArn: `${table.tableArn}/index/${SUBJECT_INDEX.indexName}`,
      activeKeyArn: this.keys.active.key.keyArn,
      publishedKeyArns: this.keys.published.map(({ key }) => key.keyArn),
      parameterArns: [this.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `lifespan/${stage}` }), parameterPathArn],
      successorKeyArn,
    };
    const functions: Partial<Record<HandlerGroup, HandlerFunction>> = {};
    for (const { group, access } of groups) {
      const handler = new HandlerFunction(this, `${group[0]?.toUpperCase()}${group.slice(1)}Function`, {
        group,
        stage,
        tracing,
        ...(props.logRetention !== undefined && { logRetention: props.logRetention }),
        environment: accessEnvironment(group, access, {
          stage,
          issuer: this.issuer,
          tableName: table.tableName,
          activeKeyArn: this.keys.active.key.keyArn,
          otherKeyArns: this.keys.published.slice(1).map(({ key }) => key.keyArn),
          loginUrl,
          deviceVerificationUrl,
          successorKeyArn,
        }),
      });
      for (const statement of accessStatements(access, resources)) handler.fn.addToRolePolicy(statement);
      if (access.lifetimes) {
        acknowledgeWildcardResource(
          handler.role,
          parameterPathArn,
          `GetParametersByPath reads the /lifespan/${stage}/ hierarchy, whose names include client and audience ids chosen by operators after deployment; the wildcard is confined to that stage's path.`,
        );
      }
      functions[group] = handler;
    }
    this.functions = functions;
    const fns: Partial<Record<HandlerGroup, IFunction>> = Object.fromEntries(
      Object.entries(functions).map(([group, handler]) => [group, handler.fn]),
    );

    this.http = new LifespanHttpApi(this, 'Http', {
      stage,
      routes: deployable,
      functions: fns,
      ...(props.throttlingRateLimit !== undefined && { throttlingRateLimit: props.throttlingRateLimit }),
      ...(props.throttlingBurstLimit !== undefined && { throttlingBurstLimit: props.throttlingBurstLimit }),
      ...(props.logRetention !== undefined && { accessLogRetention: props.logRetention }),
    });
    api.current = this.http;

    const domain =
      props.domainName !== undefined && props.certificateArn !== undefined
        ? new CustomDomain(this, 'Domain', {
            domainName: props.domainName,
            certificateArn: props.certificateArn,
            api: this.http.api,
            stage: this.http.stage,
          })
        : undefined;

    // What the alarms and the dashboard both watch.
    const watched = {
      stage,
      api: this.http.api,
      functions: fns,
      table,
      events: events.handler.fn,
      eventsFailedBatches: events.failedBatches,
      rotationHistory: keepHistory,
    };
    this.alarms = new LifespanAlarms(this, 'Alarms', {
      ...watched,
      ...(props.reuseAlarmThreshold !== undefined && { reuseAlarmThreshold: props.reuseAlarmThreshold }),
      ...(props.alarmEmail !== undefined && { alarmEmail: props.alarmEmail }),
      ...(props.serverErrorRatePercent !== undefined && { serverErrorRatePercent: props.serverErrorRatePercent }),
    });
    this.dashboard = new LifespanDashboard(this, 'Dashboard', watched);

    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output('ApiUrl', this.http.api.apiEndpoint, 'Default endpoint of the HTTP API');
    output(
      'AdminApiArn',
      this.http.api.arnForExecuteApi('*', '/admin/*', '*'),
      'Resource for execute-api:Invoke in the IAM policy of whoever calls the admin API (login app, operators)',
    );
    output('Issuer', this.issuer, 'The iss of every token; relying parties discover the rest from it');
    if (domain) output('CustomDomainTarget', domain.target, `DNS: point ${props.domainName} (CNAME or alias) at this name`);
    output('TableName', table.tableName, 'DynamoDB table');
    output('ActiveSigningKeyArn', this.keys.active.key.keyArn, `KMS key that signs (slot ${this.keys.active.slot})`);
    for (const { slot, key, alias } of this.keys.published) {
      const name = slot === 'current' ? 'Current' : 'Next';
      output(`SigningKey${name}Arn`, key.keyArn, `KMS key in the ${slot} slot`);
      output(`SigningKey${name}Alias`, alias.aliasName, `Alias of the ${slot} slot`);
    }
    if (this.successorKey) {
      output('SuccessorKeyArn', this.successorKey.key.keyArn, 'KMS HMAC key deriving refresh-token successors (never replace it)');
      output('SuccessorKeyAlias', this.successorKey.alias.aliasName, 'Alias of the successor key');
    }
    output('EventBusArn', events.bus.eventBusArn, 'EventBridge bus of the security events (source "lifespan"); add your rules to it');
    output('EventBusName', events.bus.eventBusName, 'Name of the security events bus');
    output('AlarmTopicArn', this.alarms.topic.topicArn, 'SNS topic of every alarm; subscribe your on-call to it');
    output('DashboardName', this.dashboard.dashboard.dashboardName, 'CloudWatch dashboard');
    output('ParametersPath', `/lifespan/${stage}/`, 'SSM path of the lifetime parameters');
  }
}
