import * as z from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { needsRequestBody } from '../common/http/api-handler.js';
import { IdempotencyKey } from '../common/http/idempotency.js';
import { acceptsIdempotencyKey, ROUTES, type RouteDefinition } from '../domain/routes.js';
import { CONTRACTS } from './contracts.js';
import { ProblemSchema } from './problem-schema.js';

/** Every mutation accepts it (see `readIdempotencyKey`). */
const IDEMPOTENCY_REQUEST_HEADERS = z.object({ 'Idempotency-Key': IdempotencyKey.optional() });
/** Present only on a replayed answer. */
const IDEMPOTENCY_RESPONSE_HEADERS = z.object({
  'Idempotency-Replayed': z
    .literal('true')
    .optional()
    .meta({ description: 'Present when this is the stored answer of an earlier request with the same Idempotency-Key.' }),
});

const PROBLEM_STATUSES = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
} as const;

/**
 * The OpenAPI 3.1 document, generated from the route list and the same zod schemas the
 * handlers parse with. Built once per cold start of the system function.
 */
export function buildOpenApiDocument(): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of ROUTES as readonly RouteDefinition[]) {
    const contract = CONTRACTS[route.id as keyof typeof CONTRACTS] as {
      params?: z.ZodType;
      query?: z.ZodType;
      body?: z.ZodType;
      status: number;
      response?: z.ZodType;
      alsoAnswers?: { status: number; description: string };
    };
    const idempotent = acceptsIdempotencyKey(route);
    const operation: ZodOpenApiOperationObject = {
      operationId: route.id,
      summary: route.summary,
      tags: [route.group],
      ...(route.access === 'public' ? { security: [] } : { description: `Roles: ${route.access.join(', ')}.` }),
      requestParams: {
        ...(contract.params ? { path: contract.params as z.ZodObject } : {}),
        ...(contract.query ? { query: contract.query as z.ZodObject } : {}),
        ...(idempotent ? { header: IDEMPOTENCY_REQUEST_HEADERS } : {}),
      },
      ...(contract.body
        ? { requestBody: { required: needsRequestBody(contract.body), content: { 'application/json': { schema: contract.body } } } }
        : {}),
      responses: {
        [contract.status]: {
          ...(contract.response
            ? { description: 'Success', content: { 'application/json': { schema: contract.response } } }
            : { description: 'Success, no content' }),
          ...(idempotent ? { headers: IDEMPOTENCY_RESPONSE_HEADERS } : {}),
        },
        ...(contract.alsoAnswers && contract.response
          ? {
              [contract.alsoAnswers.status]: {
                description: contract.alsoAnswers.description,
                content: { 'application/json': { schema: contract.response } },
              },
            }
          : {}),
        ...Object.fromEntries(
          Object.entries(PROBLEM_STATUSES).map(([status, description]) => [
            status,
            { description, content: { 'application/problem+json': { schema: ProblemSchema } } },
          ]),
        ),
      },
    };
    const openApiPath = route.path;
    paths[openApiPath] = { ...paths[openApiPath], [route.method.toLowerCase()]: operation };
  }
  return createDocument({
    openapi: '3.1.0',
    info: { title: 'Sluice API', version: '1', description: 'Upgrade pipelines, upgrade executions and fleet update runs.' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
  });
}
