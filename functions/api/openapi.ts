import * as z from 'zod';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi';
import { type Contract, needsRequestBody } from '../common/http/api-handler.js';
import { ERROR_STATUSES, type ErrorStatus, errorStatusesOf } from '../common/http/error-statuses.js';
import { IdempotencyKey } from '../common/http/idempotency.js';
import { PROBLEM_TYPE_BASE } from '../common/problem.js';
import { acceptsIdempotencyKey, ROUTE_GROUPS, ROUTES, type RouteDefinition, type RouteGroup } from '../domain/routes.js';
import { CONTRACTS } from './contracts.js';
import { RUN_EVENT_DOCS, UPGRADE_EVENT_DOCS } from './event-type-docs.js';
import { type Example, OPERATION_EXAMPLES } from './examples.js';
import { GatewayErrorSchema, ProblemSchema } from './problem-schema.js';

/** Every mutation accepts it (see `readIdempotencyKey`): one parameter component, referenced by each. */
const IDEMPOTENCY_REQUEST_HEADERS = z.object({ 'Idempotency-Key': IdempotencyKey.optional().meta({ param: { id: 'IdempotencyKey' } }) });
/** Present only on a replayed answer. */
const IDEMPOTENCY_RESPONSE_HEADERS = z.object({
  'Idempotency-Replayed': z
    .literal('true')
    .optional()
    .meta({
      description: 'Present when this is the stored answer of an earlier request with the same Idempotency-Key.',
      header: { id: 'IdempotencyReplayed' },
    }),
});

/** The license of package.json, by its SPDX identifier (test/unit/openapi-document.test.ts keeps the two equal). */
export const LICENSE = { name: 'Apache License 2.0', identifier: 'Apache-2.0' } as const;
/** The project's own domain, the one its problem `type` URIs live under. */
const CONTACT = { name: 'Sluice maintainers', url: new URL(PROBLEM_TYPE_BASE).origin } as const;

/** One tag per route group (the Lambda that serves it), in ROUTE_GROUPS order. */
const TAG_DESCRIPTIONS: Record<RouteGroup, string> = {
  system: 'Liveness and this document. Public: no token needed.',
  catalog:
    'The platform-wide catalog: components, their published versions, and the version policy that says which upgrade paths are allowed. Platform admins publish; any role reads.',
  services:
    "A tenant's services: their instances and the versions those run, the target that upgrades them, labels, maintenance window and auto-upgrade channel.",
  upgrades:
    'Upgrade executions: one service rolled from one version to another (ROLLING, CANARY, BLUE_GREEN, RECREATE, STAGED) with pre-checks, batches, health checks, gates and rollback.',
  pipeline:
    'Upgrade pipelines: steps from a source service to its destinations; a version validated on the source (by hand or after a delay) raises the ceiling of the destinations.',
  registry:
    "The orchestrator-style API (/api/v1/registry): the same upgrade executions and rules, addressed by catalog ids and answered with that API's field names.",
  fleet:
    'Fleet update runs: one version rolled across many services in ordered stages of groups, with gates and waits; update strategies, auto-upgrade profiles and compliance.',
  decisions:
    "A notifier's decision links: the approve and reject links of a gate notification. Public: the link's token is its authentication; GET shows a confirmation page, POST decides, once.",
};

const SUCCESS_DESCRIPTIONS: Record<Contract['status'], string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted: the work goes on after the answer',
  204: 'Done; no content',
};

/** `Bad request` → `BadRequest`: the component name of an error response. */
const componentName = (title: string): string => title.replace(/(?:^|\s+)(\w)/g, (_match, letter: string) => letter.toUpperCase());

/**
 * One response component per error status, built once: every operation refers to the same
 * object, which zod-openapi registers the first time and answers with a `$ref` after.
 * Sluice's own answers are problem+json; API Gateway's (AWS only) are its `{message}`.
 */
const ERROR_RESPONSES = Object.fromEntries(
  (Object.entries(ERROR_STATUSES) as [string, (typeof ERROR_STATUSES)[ErrorStatus]][]).map(([status, { title, when, from }]) => {
    const froms: readonly string[] = from;
    const response: ZodOpenApiResponseObject = {
      id: componentName(title),
      description: `${title}. ${when}`,
      content: {
        ...(froms.includes('handler') ? { 'application/problem+json': { schema: ProblemSchema } } : {}),
        ...(froms.includes('gateway') ? { 'application/json': { schema: GatewayErrorSchema } } : {}),
      },
      // The local gateway says when to ask again while it starts.
      ...(status === '503'
        ? { headers: z.object({ 'Retry-After': z.string().meta({ description: 'Seconds to wait before asking again.', example: '1' }) }) }
        : {}),
    };
    return [status, response];
  }),
) as Record<`${ErrorStatus}`, ZodOpenApiResponseObject>;

/** What an operation's description says beyond its summary: who may call it, on which tenant, and how. */
function describeOperation(route: RouteDefinition, contract: Contract): string {
  const sentences: string[] = [];
  if (route.access === 'public') sentences.push('Public: no token needed.');
  else sentences.push(`Needs a bearer token with one of the roles: ${route.access.join(', ')}.`);
  if (route.tenantFromToken) sentences.push("Acts on the token's tenant (its tenant claim); a token without one gets 404.");
  else if (route.path.includes('{tenantId}')) sentences.push("`tenantId` must be the token's tenant: another tenant's answers 404.");
  if (contract.body && !needsRequestBody(contract.body)) sentences.push('The body is optional: send none, or `{}`.');
  if (acceptsIdempotencyKey(route)) sentences.push('Send an `Idempotency-Key` to make a retry safe.');
  return sentences.join(' ');
}

/** A media type's `examples`: one, named by its component id when it has one. */
const examplesOf = (example: Example<unknown> | undefined) => (example ? { examples: { [example.id ?? 'example']: example } } : {});

/** The HTML answer of a route whose contract says `html` (a browser's; a client asking for JSON gets the JSON). */
const HTML_PAGE = z.string().meta({
  description: "An HTML page without script (Content-Security-Policy `default-src 'none'`); sent unless `Accept` asks for JSON only.",
});

function responsesOf(route: RouteDefinition, contract: Contract): ZodOpenApiResponsesObject {
  const idempotent = acceptsIdempotencyKey(route);
  const example = OPERATION_EXAMPLES[route.id as keyof typeof OPERATION_EXAMPLES]?.response;
  const success: ZodOpenApiResponseObject = {
    description: SUCCESS_DESCRIPTIONS[contract.status],
    ...(contract.response
      ? {
          content: {
            'application/json': { schema: contract.response, ...examplesOf(example) },
            ...(contract.html ? { 'text/html': { schema: HTML_PAGE } } : {}),
          },
        }
      : {}),
    ...(idempotent ? { headers: IDEMPOTENCY_RESPONSE_HEADERS } : {}),
  };
  return {
    [contract.status]: success,
    ...(contract.alsoAnswers && contract.response
      ? {
          [contract.alsoAnswers.status]: {
            description: contract.alsoAnswers.description,
            content: { 'application/json': { schema: contract.response } },
            ...(idempotent ? { headers: IDEMPOTENCY_RESPONSE_HEADERS } : {}),
          },
        }
      : {}),
    ...Object.fromEntries(errorStatusesOf(route, contract).map((status) => [status, ERROR_RESPONSES[status]])),
  };
}

/**
 * The OpenAPI 3.1 document, generated from the route list and the same zod schemas the
 * handlers parse with. Built once per cold start of the system function.
 */
export function buildOpenApiDocument(): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of ROUTES as readonly RouteDefinition[]) {
    const contract: Contract = CONTRACTS[route.id as keyof typeof CONTRACTS];
    const examples = OPERATION_EXAMPLES[route.id as keyof typeof OPERATION_EXAMPLES];
    const operation: ZodOpenApiOperationObject = {
      operationId: route.id,
      summary: route.summary,
      description: describeOperation(route, contract),
      tags: [route.group],
      ...(route.access === 'public' ? { security: [] } : {}),
      requestParams: {
        ...(contract.params ? { path: contract.params as z.ZodObject } : {}),
        ...(contract.query ? { query: contract.query as z.ZodObject } : {}),
        ...(acceptsIdempotencyKey(route) ? { header: IDEMPOTENCY_REQUEST_HEADERS } : {}),
      },
      ...(contract.body
        ? {
            requestBody: {
              required: needsRequestBody(contract.body),
              content: {
                'application/json': { schema: contract.body, ...examplesOf(examples?.request) },
                ...(contract.form ? { 'application/x-www-form-urlencoded': { schema: contract.body } } : {}),
              },
            },
          }
        : {}),
      responses: responsesOf(route, contract),
    };
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
  }
  const document = createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Sluice API',
      version: '1',
      description: [
        'Sluice, a serverless upgrade control plane: the catalog and its version policy, services, upgrade executions, upgrade pipelines and fleet update runs.',
        '',
        "Every route but `/health` and `/openapi.json` needs a bearer JWT; tenant routes answer 404 for another tenant's resources, so tenants cannot be probed.",
        "Errors are `application/problem+json` (`Problem`) when Sluice writes them; in AWS, API Gateway's own refusals (its JWT authorizer, throttling, a crashed function) are its `GatewayError`.",
        'Lists are pages: `{items, nextToken?}`, `limit` 1-100 (default 25). Every mutation takes an optional `Idempotency-Key`.',
        'The local runtime (`npm start`) answers 503 to everything until it is ready: wait for `GET /health`.',
      ].join('\n'),
      license: LICENSE,
      contact: CONTACT,
    },
    servers: [{ url: '/', description: 'The API that serves this document' }],
    security: [{ bearer: [] }],
    tags: ROUTE_GROUPS.map((name) => ({ name, description: TAG_DESCRIPTIONS[name] })),
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A JWT of the configured issuer; locally `npm run token` mints one. Roles are read from its roles claim.',
        },
      },
    },
    paths,
  });
  describeEventTypes(document);
  return document;
}

/** The `EventType` enum with a line per type, from the prose only this function carries. */
function describeEventTypes(document: ReturnType<typeof createDocument>): void {
  const schema = document.components?.schemas?.EventType as { description?: string } | undefined;
  if (!schema) return;
  schema.description = [
    'What happened. Upgrades:',
    ...Object.entries(UPGRADE_EVENT_DOCS).map(([type, text]) => `- \`${type}\`: ${text}`),
    '',
    'Update runs:',
    ...Object.entries(RUN_EVENT_DOCS).map(([type, text]) => `- \`${type}\`: ${text}`),
  ].join('\n');
}
