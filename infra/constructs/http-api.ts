import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { routeKey, type HandlerGroup, type Route } from '../../functions/routes.ts';
import { assertPositive } from '../validation.ts';

/**
 * One JSON line per request. Deliberately absent: headers (Authorization carries client
 * secrets and bearer tokens) and the query string (`/authorize` callbacks and `/logout` carry
 * codes and ID token hints). `userArn` names the IAM caller of admin routes, for the audit trail.
 */
const ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTimeEpoch',
  routeKey: '$context.routeKey',
  status: '$context.status',
  latency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  sourceIp: '$context.identity.sourceIp',
  userArn: '$context.identity.userArn',
  responseLength: '$context.responseLength',
};

export interface LifespanHttpApiProps {
  readonly stage: string;
  /** The routes to serve (the deployable ones: no `localOnly`). */
  readonly routes: readonly Route[];
  /** The function serving each route group; every group of `routes` needs one. */
  readonly functions: Readonly<Partial<Record<HandlerGroup, IFunction>>>;
  /** Steady-state requests per second for the whole stage. @default 1000 */
  readonly throttlingRateLimit?: number;
  /** Burst capacity for the whole stage. @default 2000 */
  readonly throttlingBurstLimit?: number;
  /** Retention of the access logs. @default RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: RetentionDays;
}

/**
 * The HTTP API with every deployable route: admin routes behind IAM (SigV4), public routes open,
 * stage throttling set, JSON access logs without secrets. No API-wide CORS: the handlers that
 * browsers call cross-origin (discovery, JWKS, token for public clients) set their own headers.
 */
export class LifespanHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: LifespanHttpApiProps) {
    super(scope, id);
    const rateLimit = props.throttlingRateLimit ?? 1000;
    const burstLimit = props.throttlingBurstLimit ?? 2000;
    assertPositive('throttlingRateLimit', rateLimit);
    assertPositive('throttlingBurstLimit', burstLimit, { integer: true });
    if (props.routes.length === 0) throw new TypeError('routes must not be empty');

    this.api = new HttpApi(this, 'Api', {
      apiName: `lifespan-${props.stage}`,
      description: `Lifespan ${props.stage}: OAuth 2.1 / OpenID Connect`,
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit, burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const integrations = new Map<HandlerGroup, HttpLambdaIntegration>();
    const integrationFor = (group: HandlerGroup) => {
      let integration = integrations.get(group);
      if (!integration) {
        const fn = props.functions[group];
        if (!fn) throw new TypeError(`no function for route group ${group}`);
        integration = new HttpLambdaIntegration(`${group}Integration`, fn);
        integrations.set(group, integration);
      }
      return integration;
    };
    const iam = new HttpIamAuthorizer();
    for (const route of props.routes) {
      if (route.localOnly) throw new TypeError(`${routeKey(route)} is local only and cannot be deployed`);
      const [created] = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: integrationFor(route.group),
        ...(route.access === 'admin' && { authorizer: iam }),
      });
      if (route.access === 'public' && created) {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${routeKey(route)} is a public OAuth 2.1 / OpenID Connect endpoint: callers are anonymous browsers and relying parties, and the handler authenticates clients itself (client_secret_basic/post, PKCE) as the RFCs require.`,
        });
      }
    }
  }
}
