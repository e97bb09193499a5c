import { Duration, Validations } from 'aws-cdk-lib';
import type { IGrantable, IPrincipal } from 'aws-cdk-lib/aws-iam';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The newest Node.js runtime this aws-cdk-lib offers; one place to bump it. */
export const SLUICE_RUNTIME = Runtime.NODEJS_24_X;
export const SLUICE_ARCHITECTURE = Architecture.ARM_64;

/**
 * ESM bundles still meet CommonJS dependencies that call `require` (and esbuild's
 * `__require` shim looks for a global one). Define it from `import.meta.url`; the
 * aliased import keeps the name clear of anything the bundle itself declares.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __sluiceCreateRequire } from 'node:module';" +
  'const require = __sluiceCreateRequire(import.meta.url);';

export interface SluiceFunctionProps {
  /** Absolute path of the `*.handler.ts` file; it must export `handler`. */
  readonly entry: string;
  /** Directory holding `package-lock.json`; esbuild resolves dependencies from here. */
  readonly projectRoot: string;
  readonly description?: string;
  readonly environment?: Readonly<Record<string, string>>;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * Bundle the AWS SDK v3 instead of using the copy the Node.js runtime ships.
   * @default false — the runtime's SDK keeps each bundle near 170 kB instead of ~500 kB
   * (the SDK's protocol core and credential chain do not tree-shake), which is what
   * cold starts pay for. Turn it on to pin the exact client versions the tests ran.
   */
  readonly bundleAwsSdk?: boolean;
  /** Active X-Ray tracing. @default false */
  readonly tracing?: boolean;
  /** @default 512 (arm64 gets a proportional CPU share; 512 MB keeps cold starts short) */
  readonly memorySize?: number;
  /** @default 10 seconds (API Gateway gives up at 30 s anyway) */
  readonly timeout?: Duration;
}

/**
 * A Lambda function with Sluice's defaults fixed in one place, the way Powertools
 * fixes them: newest Node.js runtime, arm64, a minified tree-shaken ESM bundle with
 * source maps, JSON structured logs into its own log group with a retention, and a
 * role of its own that holds nothing but the right to write that log group.
 *
 * The AWS SDK v3 comes from the Lambda runtime by default (CDK's default too): the
 * handlers use only long-stable commands of the v3 clients, and leaving the SDK out
 * keeps each bundle under 300 kB. `bundleAwsSdk` pins the tested versions instead.
 *
 * It is `IGrantable`, so grants read as intent: `table.grantReadData(fn)`.
 *
 * @example
 * ```ts
 * const fn = new SluiceFunction(this, 'Catalog', {
 *   entry: join(root, 'functions/catalog/catalog.handler.ts'),
 *   projectRoot: root,
 *   environment: { TABLE_NAME: table.tableName },
 * });
 * table.grantReadWriteData(fn);
 * ```
 */
export class SluiceFunction extends Construct implements IGrantable {
  readonly lambda: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: SluiceFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });

    // An explicit role instead of the default one, which would attach the AWS managed
    // AWSLambdaBasicExecutionRole policy (logs:* on every log group of the account).
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
    });
    this.logGroup.grantWrite(this.role);

    this.lambda = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: `${props.projectRoot}/package-lock.json`,
      description: props.description,
      runtime: SLUICE_RUNTIME,
      architecture: SLUICE_ARCHITECTURE,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      tracing: props.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      environment: {
        // The bundle carries source maps; without this flag Node ignores them.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        banner: ESM_REQUIRE_BANNER,
        // Prefer the ES module builds of dependencies: that is what tree-shaking can cut.
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        // Stack traces need names and lines, not the sources; keeps the asset small.
        sourcesContent: false,
        bundleAwsSDK: props.bundleAwsSdk ?? false,
        esbuildArgs: { '--tree-shaking': 'true' },
        // Local esbuild from node_modules; Docker is never needed for these bundles.
        forceDockerBundling: false,
      },
    });

    if (props.tracing) {
      // Tracing adds xray:PutTraceSegments / xray:PutTelemetryRecords to the role.
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions; "*" is the only valid resource.',
      });
    }
  }

  get grantPrincipal(): IPrincipal {
    return this.role;
  }
}
