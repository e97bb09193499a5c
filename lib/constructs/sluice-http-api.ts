import { Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import type { IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteDefinition, RouteGroup } from '../../functions/domain/routes.js';

export interface SluiceHttpApiProps {
  /** Every route to serve; each entry becomes one API Gateway route. */
  readonly routes: readonly RouteDefinition[];
  /** The function serving each route group. */
  readonly handlers: Readonly<Record<RouteGroup, IFunction>>;
  readonly jwtIssuer: string;
  readonly jwtAudience: readonly string[];
  /** Scopes every protected route requires (`authorizationScopes`); none when empty. */
  readonly jwtScopes?: readonly string[];
  /** Claim recorded in the access log next to `sub`, so a log line names its tenant. */
  readonly tenantClaim: string;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** @default RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: RetentionDays;
}

/**
 * The HTTP API: one route per {@link RouteDefinition}, a JWT authorizer on every route
 * that is not `public`, one Lambda integration per route group, and a `$default` stage
 * with access logs and stage-wide throttling. CORS stays off: the web console calls the
 * API on its own origin, through the same CloudFront distribution (sluice-console.ts).
 *
 * Roles are not checked here (a JWT authorizer can only match OAuth scopes); the
 * handlers check `access` against the roles claim, using the same route list. With
 * `jwtScopes`, every protected route also requires one of those OAuth scopes, which
 * refuses ID tokens (they carry no `scope`).
 */
export class SluiceHttpApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogGroup: LogGroup;
  readonly authorizer: HttpJwtAuthorizer;
  /** The API Gateway route of each route id, for later grants or alarms. */
  readonly routes: ReadonlyMap<string, HttpRoute>;
  /** Base URL of the `$default` stage, ending in `/`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: SluiceHttpApiProps) {
    super(scope, id);

    this.httpApi = new HttpApi(this, 'Api', {
      description: 'Sluice upgrade control plane API',
      // The stage is declared below so that it can carry access logs and throttling.
      createDefaultStage: false,
    });

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_MONTH,
    });

    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttle.rateLimit, burstLimit: props.throttle.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(accessLogFields(props.tenantClaim))),
      },
    });
    this.url = this.stage.url;

    this.authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer, {
      jwtAudience: [...props.jwtAudience],
      identitySource: ['$request.header.Authorization'],
    });
    const noAuthorizer = new HttpNoneAuthorizer();

    const integrations = new Map<RouteGroup, HttpLambdaIntegration>();
    const integrationOf = (group: RouteGroup): HttpLambdaIntegration => {
      let integration = integrations.get(group);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${group}-integration`, props.handlers[group]);
        integrations.set(group, integration);
      }
      return integration;
    };

    const routes = new Map<string, HttpRoute>();
    for (const route of props.routes) {
      const isPublic = route.access === 'public';
      const authorizer: IHttpRouteAuthorizer = isPublic ? noAuthorizer : this.authorizer;
      const httpRoute = new HttpRoute(this, `Route-${route.id}`, {
        httpApi: this.httpApi,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration: integrationOf(route.group),
        authorizer,
        ...(!isPublic && props.jwtScopes && props.jwtScopes.length > 0 ? { authorizationScopes: [...props.jwtScopes] } : {}),
      });
      if (isPublic) {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            route.group === 'decisions'
              ? `${route.method} ${route.path} is outside the JWT authorizer by design: a notifier's decision link is its own authentication (a single-use, expiring 256-bit token bound to one gate and one decision, kept only as its SHA-256; docs/decisions/0029-notifications-and-decision-links.md), so a chat button can decide a gate without a bearer token.`
              : `${route.method} ${route.path} is public by design (route access 'public' in functions/domain/routes.ts): liveness and the OpenAPI document carry no tenant data.`,
        });
      }
      routes.set(route.id, httpRoute);
    }
    this.routes = routes;
  }
}

/** HTTP API access log line: one JSON object, with who called and how it went. */
function accessLogFields(tenantClaim: string): Record<string, string> {
  const fields: Record<string, string> = {
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    sourceIp: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    httpMethod: '$context.httpMethod',
    routeKey: '$context.routeKey',
    path: '$context.path',
    protocol: '$context.protocol',
    status: '$context.status',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
    sub: '$context.authorizer.claims.sub',
  };
  // A claim such as `custom:tenant` or a URL-shaped claim is not addressable as a
  // $context variable; the handlers still log the tenant in that case.
  if (/^[A-Za-z0-9_]+$/.test(tenantClaim)) {
    fields.tenant = `$context.authorizer.claims.${tenantClaim}`;
  }
  return fields;
}
