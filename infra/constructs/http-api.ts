import { CfnOutput } from 'aws-cdk-lib';
import { CfnStage, HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ROUTES, type HandlerGroup } from '../../functions/routes.ts';

export interface LifespanHttpApiProps {
  readonly stage: string;
  /** The function serving each route group. */
  readonly functions: Readonly<Partial<Record<HandlerGroup, IFunction>>>;
  /** Steady-state requests per second for the whole stage. @default 1000 */
  readonly throttlingRateLimit?: number;
  /** Burst capacity for the whole stage. @default 2000 */
  readonly throttlingBurstLimit?: number;
}

/**
 * The HTTP API with every route of functions/routes.ts: admin routes behind IAM (SigV4),
 * public routes open, stage throttling set.
 */
export class LifespanHttpApi extends Construct {
  readonly api: HttpApi;

  constructor(scope: Construct, id: string, props: LifespanHttpApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', {
      apiName: `lifespan-${props.stage}`,
      description: `Lifespan ${props.stage}: OAuth 2.1 / OpenID Connect`,
      createDefaultStage: true,
      // No API-wide CORS: the handlers that browsers call cross-origin (discovery, JWKS, and
      // the token endpoint for public clients) set their own headers; the rest stay closed.
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
    for (const route of ROUTES.filter((candidate) => !candidate.localOnly)) {
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: integrationFor(route.group),
        ...(route.access === 'admin' && { authorizer: iam }),
      });
    }
    const stage = this.api.defaultStage?.node.defaultChild as CfnStage;
    stage.defaultRouteSettings = {
      throttlingRateLimit: props.throttlingRateLimit ?? 1000,
      throttlingBurstLimit: props.throttlingBurstLimit ?? 2000,
    };
    new CfnOutput(this, 'Url', { value: this.api.apiEndpoint, description: 'Base URL of the API (the default issuer)' });
  }
}
