import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { RouteGroup } from '../functions/domain/routes.js';
import { handler as catalog } from '../functions/handlers/catalog.handler.js';
import { handler as decisions } from '../functions/handlers/decisions.handler.js';
import { handler as fleet } from '../functions/handlers/fleet.handler.js';
import { handler as pipeline } from '../functions/handlers/pipeline.handler.js';
import { handler as registry } from '../functions/handlers/registry.handler.js';
import { handler as services } from '../functions/handlers/services.handler.js';
import { handler as system } from '../functions/handlers/system.handler.js';
import { handler as upgrades } from '../functions/handlers/upgrades.handler.js';
import { inInvocationScope } from './invocation-scope.js';

export type HttpLambda = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const scoped =
  (handler: HttpLambda): HttpLambda =>
  (event, context) =>
    inInvocationScope(context.awsRequestId, () => handler(event, context));

/**
 * The very handler modules CDK deploys, one per route group, each request in an
 * invocation scope of its own (see invocation-scope.ts).
 */
export const ROUTE_HANDLERS: Record<RouteGroup, HttpLambda> = {
  system: scoped(system),
  catalog: scoped(catalog),
  services: scoped(services),
  upgrades: scoped(upgrades),
  pipeline: scoped(pipeline),
  registry: scoped(registry),
  fleet: scoped(fleet),
  decisions: scoped(decisions),
};
