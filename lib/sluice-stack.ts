import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type { CfnTable, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { ROUTE_GROUPS, ROUTES } from '../functions/api/routes.js';
import type { RouteGroup } from '../functions/api/routes.js';
import { readSluiceConfig } from './config.js';
import type { SluiceConfig } from './config.js';
import { SluiceFunction } from './constructs/sluice-function.js';
import { SluiceHttpApi } from './constructs/sluice-http-api.js';
import { SluiceTable } from './constructs/sluice-table.js';

/** Repository root: esbuild's project root and the base of every handler entry. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where the handler of a route group lives: `functions/<group>/<group>.handler.ts`. */
export function routeGroupEntry(group: RouteGroup, root: string = PROJECT_ROOT): string {
  return join(root, 'functions', group, `${group}.handler.ts`);
}

export interface SluiceStackProps extends StackProps {
  /** @default read from CDK context with {@link readSluiceConfig} */
  readonly config?: SluiceConfig;
}

/**
 * The whole control plane in one stack: the table, one function per route group, and
 * the HTTP API in front of them.
 *
 * Later parts (state machines, the event bus, the scheduler) plug in through the
 * public fields: `table` for grants and `TABLE_NAME`, `functions` for grants and
 * environment, `api` for routes; and through `config` for context-driven settings.
 */
export class SluiceStack extends Stack {
  readonly config: SluiceConfig;
  readonly table: Table;
  /** The function serving each route group of `functions/api/routes.ts`. */
  readonly functions: Readonly<Record<RouteGroup, SluiceFunction>>;
  readonly api: SluiceHttpApi;

  constructor(scope: Construct, id: string, props: SluiceStackProps = {}) {
    super(scope, id, {
      description: 'Sluice: serverless upgrade control plane (API, table, functions)',
      ...props,
    });
    this.config = props.config ?? readSluiceConfig(this);
    const config = this.config;
    if (config.jwtIssuer.includes('REPLACE_ME')) {
      Annotations.of(this).addWarningV2(
        'sluice:placeholder-issuer',
        `sluice:jwtIssuer is still the cdk.json placeholder (${config.jwtIssuer}); every authenticated route will answer 401. Deploy with -c sluice:jwtIssuer=https://<your issuer>.`,
      );
    }

    this.table = new SluiceTable(this, 'Data', { deletionProtection: config.deletionProtection }).table;

    const environment = {
      TABLE_NAME: this.table.tableName,
      TENANT_CLAIM: config.tenantClaim,
      ROLES_CLAIM: config.rolesClaim,
    };
    const makeFunction = (group: RouteGroup): SluiceFunction =>
      new SluiceFunction(this, `${pascalCase(group)}Function`, {
        entry: routeGroupEntry(group),
        projectRoot: PROJECT_ROOT,
        description: `Sluice API: ${group} routes`,
        environment,
        logRetention: config.logRetention,
        tracing: config.tracing,
        bundleAwsSdk: config.bundleAwsSdk,
      });
    this.functions = Object.fromEntries(ROUTE_GROUPS.map((group) => [group, makeFunction(group)])) as Record<
      RouteGroup,
      SluiceFunction
    >;

    // `system` (health, OpenAPI) reads nothing from the table, so it gets no grant.
    // catalog and services read and write their items; the grants narrow to the exact
    // actions and keys each route group needs once its repositories settle.
    this.table.grantReadWriteData(this.functions.catalog);
    this.table.grantReadWriteData(this.functions.services);
    this.acknowledgeIndexGrant(this.functions.catalog);
    this.acknowledgeIndexGrant(this.functions.services);

    this.api = new SluiceHttpApi(this, 'Http', {
      routes: ROUTES,
      handlers: {
        system: this.functions.system.lambda,
        catalog: this.functions.catalog.lambda,
        services: this.functions.services.lambda,
      },
      jwtIssuer: config.jwtIssuer,
      jwtAudience: config.jwtAudience,
      tenantClaim: config.tenantClaim,
      throttle: { rateLimit: config.throttleRateLimit, burstLimit: config.throttleBurstLimit },
      accessLogRetention: config.logRetention,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Sluice HTTP API' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'The Sluice DynamoDB table' });
  }

  /**
   * `grantReadWriteData` covers the table and `<table ARN>/index/*`, which cdk-nag
   * reports as a wildcard. The wildcard spans only this table's own indexes.
   */
  private acknowledgeIndexGrant(fn: SluiceFunction): void {
    const cfnTable = this.table.node.defaultChild as CfnTable;
    const tableLogicalId = this.resolve(cfnTable.logicalId) as string;
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/index/*]`,
      reason:
        "Queries on the table's own GSIs (TABLE_SCHEMA: gsi1, gsi2) need <table ARN>/index/*; the wildcard never leaves this table.",
    });
  }
}

function pascalCase(value: string): string {
  return value.replace(/(^|[-_])([a-z])/g, (_m, _sep: string, c: string) => c.toUpperCase());
}
