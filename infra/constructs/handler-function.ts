import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { acknowledgeWildcardResource } from '../nag.ts';
import type { FunctionName } from '../group-access.ts';
import { REQUEST_WORST_CASE_MS } from '../../functions/runtime/aws-clients.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** API Gateway HTTP APIs give up on an integration after 30 s. */
const MAX_TIMEOUT_SECONDS = 29;

export interface HandlerFunctionProps {
  /** The route group, or the events function (the stream handler); the entry is `functions/handlers/<group>.ts`. */
  readonly group: FunctionName;
  /** @default `Lifespan <stage> <group> routes` */
  readonly description?: string;
  readonly stage: string;
  /** Exactly the variables the group's handler reads (see infra/group-access.ts). */
  readonly environment: Readonly<Record<string, string>>;
  /** @default 512 — more memory is more CPU, which signs and verifies faster. */
  readonly memorySize?: number;
  /**
   * Above `REQUEST_WORST_CASE_MS` (functions/runtime/aws-clients.ts: the longest chain of AWS
   * calls of one request, each with its timeouts and retry), so a slow dependency is answered by
   * the function (503) and never cut off by Lambda; at most 29 s (API Gateway gives up on an
   * integration after 30 s).
   * @default Duration.seconds(20)
   */
  readonly timeout?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * X-Ray active tracing: Lambda samples invocations and the role may send trace segments.
   * @default false — no tracing configuration and no X-Ray permission
   */
  readonly tracing?: boolean;
}

/**
 * One Lambda function per route group: Node.js 24 (the latest Lambda runtime) on arm64, ESM,
 * minified with source maps, the AWS SDK bundled (so its version is the one tested, and unused
 * clients are tree-shaken), JSON log lines (written to stdout by the code, so EMF metrics parse)
 * in an explicit log group with a retention.
 *
 * Its role starts with one permission: writing to its own log group (and, with `tracing`, sending
 * trace segments to X-Ray). No managed policy (AWSLambdaBasicExecutionRole would allow every log
 * group of the account); everything else is granted from the permission table by the stack.
 */
export class HandlerFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    const memorySize = props.memorySize ?? 512;
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10_240) {
      throw new TypeError(`memorySize must be a whole number of MB in [128, 10240], not ${memorySize}`);
    }
    const timeout = props.timeout ?? Duration.seconds(20);
    const timeoutMs = timeout.toMilliseconds();
    if (timeoutMs <= REQUEST_WORST_CASE_MS || timeoutMs > MAX_TIMEOUT_SECONDS * 1000 || timeoutMs % 1000 !== 0) {
      throw new TypeError(
        `timeout must be a whole number of seconds above ${REQUEST_WORST_CASE_MS / 1000} (the AWS calls of one request at their worst, REQUEST_WORST_CASE_MS) and at most ${MAX_TIMEOUT_SECONDS}, not ${timeoutMs / 1000}`,
      );
    }

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Lifespan ${props.stage} ${props.group} function`,
    });
    // The log group is given, so Lambda never needs logs:CreateLogGroup.
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: `${ROOT}functions/handlers/${props.group}.ts`,
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: `${ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize,
      timeout,
      role: this.role,
      logGroup: this.logGroup,
      ...(props.tracing && { tracing: Tracing.ACTIVE }),
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      description: props.description ?? `Lifespan ${props.stage} ${props.group} routes`,
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        bundleAwsSDK: true,
        externalModules: [],
        mainFields: ['module', 'main'],
        // Some bundled CommonJS dependencies call require(); ESM output needs it defined.
        banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        metafile: false,
        // Local-mode adapters (key files, the parameters file) are dead code in AWS: this constant
        // lets esbuild drop them (functions/runtime/signer.ts, successor.ts, lifetimes.ts).
        define: { 'process.env.LIFESPAN_BUNDLE': JSON.stringify('lambda') },
        // Lambda passes credentials in the environment: bundle the env provider alone instead of
        // the SDK's whole default chain (functions/runtime/lambda-credentials.ts says why).
        esbuildArgs: { '--alias:@aws-sdk/credential-provider-node': `${ROOT}functions/runtime/lambda-credentials.ts` },
      },
    });
    if (props.tracing) {
      acknowledgeWildcardResource(
        this.role,
        '*',
        'With tracing on, CDK grants xray:PutTraceSegments and xray:PutTelemetryRecords, which X-Ray authorizes on no resource narrower than "*" (it has no resource types); the actions only send this function\'s own trace data.',
      );
    }
  }
}
