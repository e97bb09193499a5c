import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTRACTS } from '../../functions/api/contracts.js';
import { OPERATION_EXAMPLES } from '../../functions/api/examples.js';
import { buildOpenApiDocument, LICENSE } from '../../functions/api/openapi.js';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../functions/common/errors.js';
import { type Contract, needsRequestBody } from '../../functions/common/http/api-handler.js';
import { ERROR_STATUSES, type ErrorStatus } from '../../functions/common/http/error-statuses.js';
import { INTERNAL_PROBLEM } from '../../functions/common/problem.js';
import { acceptsIdempotencyKey, ROUTE_GROUPS, ROUTES, type RouteDefinition } from '../../functions/domain/routes.js';

/**
 * What the served OpenAPI document promises a generated client (openapi-typescript and
 * openapi-fetch): named schemas referenced by `$ref`, a body required only where the
 * handler needs one, each route's own error statuses, and the document's metadata.
 */

const document = buildOpenApiDocument() as any;
const routes = ROUTES as readonly RouteDefinition[];
const operationOf = (route: RouteDefinition) => document.paths[route.path][route.method.toLowerCase()];
const contractOf = (route: RouteDefinition): Contract => CONTRACTS[route.id as keyof typeof CONTRACTS];
const routeById = (id: string) => routes.find((route) => route.id === id) as RouteDefinition;

/** Every `$ref` in a part of the document. */
function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') found.push(item);
      else refsIn(item, found);
    }
  }
  return found;
}

/** Every inline object schema with properties under `value`, as canonical JSON, with where it is. */
function inlineObjectSchemas(value: unknown, at: string, found: { json: string; at: string }[] = []): { json: string; at: string }[] {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) inlineObjectSchemas(item, `${at}/${index}`, found);
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (record.type === 'object' && record.properties !== undefined) found.push({ json: JSON.stringify(record), at });
    for (const [key, item] of Object.entries(record)) inlineObjectSchemas(item, `${at}/${key}`, found);
  }
  return found;
}

describe('the OpenAPI document: named schemas', () => {
  const schemas = document.components.schemas as Record<string, unknown>;
  const referenced = new Set(refsIn(document).filter((ref) => ref.startsWith('#/components/schemas/')));

  it.each([
    'Upgrade',
    'UpgradeInstance',
    'UpgradePage',
    'Service',
    'ServiceInstance',
    'ServicePage',
    'UpgradeStep',
    'UpgradeStepPage',
    'Component',
    'Version',
    'VersionPage',
    'Problem',
    'GatewayError',
    'UpdateRun',
    'UpdateRunPage',
    'UpdateStrategy',
    'AutoUpgradeProfile',
    'Compliance',
    'RegistryUpgradeExecution',
    'CreateUpgradeRequest',
    'UpgradeKnobs',
  ])('has %s as a component, referenced by $ref', (name) => {
    expect(schemas[name], name).toBeDefined();
    expect(referenced.has(`#/components/schemas/${name}`), name).toBe(true);
  });

  it('answers every operation that returns an execution with a $ref to Upgrade, never an inline copy', () => {
    const answering = routes.filter((route) => contractOf(route).response === CONTRACTS.getUpgrade.response);
    expect(answering.length).toBeGreaterThanOrEqual(10);
    for (const route of answering) {
      const success = operationOf(route).responses[contractOf(route).status];
      expect(success.content['application/json'].schema, route.id).toEqual({ $ref: '#/components/schemas/Upgrade' });
    }
  });

  it('inlines no large object schema more than once', () => {
    const inline = [
      ...inlineObjectSchemas(document.components.schemas, '#/components/schemas').filter(({ at }) => at.split('/').length > 4),
      ...Object.entries(document.paths).flatMap(([path, item]) => inlineObjectSchemas(item, path)),
    ].filter(({ json }) => json.length > 300);
    const seen = new Map<string, string[]>();
    for (const { json, at } of inline) seen.set(json, [...(seen.get(json) ?? []), at]);
    expect([...seen.values()].filter((places) => places.length > 1)).toEqual([]);
  });

  it('has no dangling $ref and no input/output twin of a named schema', () => {
    for (const ref of refsIn(document)) {
      const [, , section, name] = ref.split('/');
      expect(document.components[section ?? '']?.[name ?? ''], ref).toBeDefined();
    }
    expect(Object.keys(schemas).filter((name) => name.endsWith('Output'))).toEqual([]);
  });
});

describe('the OpenAPI document: request bodies', () => {
  it('requires a body exactly where the handler refuses a missing one (parsed as {})', () => {
    for (const route of routes) {
      const { body } = contractOf(route);
      const requestBody = operationOf(route).requestBody;
      if (!body) {
        expect(requestBody, route.id).toBeUndefined();
        continue;
      }
      expect(requestBody.required, route.id).toBe(!body.safeParse({}).success);
      expect(requestBody.required, route.id).toBe(needsRequestBody(body));
    }
  });

  it('lets the actions go without a body and requires it where fields are needed', () => {
    const optional = routes.filter((route) => operationOf(route).requestBody?.required === false).map((route) => route.id);
    expect(optional).toEqual(
      expect.arrayContaining([
        'startUpgrade',
        'pauseUpgrade',
        'resumeUpgrade',
        'cancelUpgrade',
        'promoteCanary',
        'approveGate',
        'rejectGate',
        'validateUpgrade',
        'startUpdateRun',
        'skipUpdateRunMember',
        'approveUpdateRunGate',
        'registryStartUpgrade',
        'registryRollbackUpgrade',
      ]),
    );
    for (const id of ['createUpgrade', 'rollbackUpgrade', 'updateService', 'createUpdateRun', 'registryCreateUpgrade', 'publishVersion'])
      expect(operationOf(routeById(id)).requestBody.required, id).toBe(true);
  });
});

describe('the OpenAPI document: error responses', () => {
  const errorsOf = (route: RouteDefinition) =>
    Object.keys(operationOf(route).responses)
      .map(Number)
      .filter((status) => status >= 400);

  it('lists on /health only what it can answer: throttling, a failure, and 503 while starting', () => {
    expect(errorsOf(routeById('getHealth'))).toEqual([429, 500, 503]);
    expect(errorsOf(routeById('getOpenApi'))).toEqual([429, 500]);
  });

  it('lists each status only where it can happen', () => {
    for (const route of routes) {
      const contract = contractOf(route);
      const errors = errorsOf(route);
      expect(errors, route.id).toEqual(expect.arrayContaining([429, 500]));
      expect(errors.includes(401), route.id).toBe(route.access !== 'public');
      expect(errors.includes(403), route.id).toBe(route.access !== 'public');
      // Or a route whose query or body names the thing (a decision link's token).
      expect(errors.includes(404), route.id).toBe(
        route.path.includes('{') || route.tenantFromToken === true || contract.alsoFails?.includes(404) === true,
      );
      expect(errors.includes(409), route.id).toBe(acceptsIdempotencyKey(route));
      expect(errors.includes(413), route.id).toBe(contract.body !== undefined);
      expect(errors.includes(415), route.id).toBe(contract.body !== undefined);
      expect(errors.includes(503), route.id).toBe(route.id === 'getHealth');
      // Every operation has a 4xx of its own (Redocly's operation-4xx-response) but the two public reads.
      if (route.access !== 'public') expect(errors.some((status) => status < 500 && status !== 429)).toBe(true);
    }
    expect(errorsOf(routeById('listComponents'))).not.toContain(404);
    expect(errorsOf(routeById('deleteService'))).not.toContain(413);
    expect(errorsOf(routeById('getCompliance'))).toContain(422);
    expect(errorsOf(routeById('getUpgrade'))).not.toContain(422);
  });

  it('refers every error to one response component per status: problem+json from Sluice, {message} from API Gateway', () => {
    const responses = document.components.responses as Record<string, any>;
    for (const route of routes) {
      for (const status of errorsOf(route)) {
        const { $ref } = operationOf(route).responses[status];
        const component = responses[$ref.replace('#/components/responses/', '')];
        expect(component, `${route.id} ${status}`).toBeDefined();
        const { from } = ERROR_STATUSES[status as ErrorStatus];
        const media = Object.keys(component.content).sort();
        const expected = [
          ...((from as readonly string[]).includes('gateway') ? ['application/json'] : []),
          ...((from as readonly string[]).includes('handler') ? ['application/problem+json'] : []),
        ];
        expect(media, `${route.id} ${status}`).toEqual(expected);
      }
    }
    expect(responses.TooManyRequests.content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/GatewayError' } } });
    expect(responses.ServiceUnavailable.headers['Retry-After']).toBeDefined();
  });

  it('gives each status the title of the error the handlers throw', () => {
    const thrown = [
      new BadRequestError(''),
      new UnauthorizedError(''),
      new ForbiddenError(''),
      new NotFoundError(''),
      new ConflictError(''),
      new PayloadTooLargeError(''),
      new UnsupportedMediaTypeError(''),
      new ValidationError(''),
    ];
    for (const error of thrown) expect(ERROR_STATUSES[error.status as ErrorStatus]?.title, error.name).toBe(error.title);
    expect(ERROR_STATUSES[500].title).toBe(INTERNAL_PROBLEM.title);
  });
});

describe('the OpenAPI document: metadata', () => {
  it("carries package.json's license by its SPDX identifier, and a contact", () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8'));
    expect(document.info.license).toEqual(LICENSE);
    expect(document.info.license.identifier).toBe(pkg.license);
    expect(document.info.contact.url).toMatch(/^https:\/\//);
  });

  it('has one described tag per route group, and a summary and description on every operation', () => {
    expect(document.tags.map((tag: { name: string }) => tag.name)).toEqual([...ROUTE_GROUPS]);
    for (const tag of document.tags) expect(tag.description, tag.name).toMatch(/\w{3,}/);
    for (const route of routes) {
      expect(operationOf(route).summary, route.id).toBe(route.summary);
      expect(operationOf(route).description, route.id).toMatch(/\w{3,}/);
    }
  });
});

describe('the OpenAPI document: examples', () => {
  const examplesOf = (route: RouteDefinition) => OPERATION_EXAMPLES[route.id as keyof typeof OPERATION_EXAMPLES];
  /** The one example a media type shows, its component resolved. */
  const shown = (media: any) => {
    const [example] = Object.values(media?.examples ?? {}) as any[];
    return example?.$ref ? document.components.examples[example.$ref.replace('#/components/examples/', '')] : example;
  };

  it.each(routes.map((route) => [route.id, route] as const))('%s: its examples parse with its own schemas', (_id, route) => {
    const contract = contractOf(route);
    const examples = examplesOf(route);
    for (const [part, schema] of [
      ['request', contract.body],
      ['response', contract.response],
    ] as const) {
      const example = examples?.[part];
      if (!schema) {
        expect(example, `${route.id} has no ${part} schema, so no ${part} example`).toBeUndefined();
        continue;
      }
      expect(example, `${route.id} ${part} example`).toBeDefined();
      if (!example) continue;
      const parsed = schema.safeParse(example.value);
      expect(parsed.success, `${route.id} ${part}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      // What the document carries is JSON: no undefined members, dates or functions.
      expect(JSON.parse(JSON.stringify(example.value)), route.id).toStrictEqual(example.value);
    }
  });

  it('shows each example where the operation declares its body and its answer', () => {
    for (const route of routes) {
      const examples = examplesOf(route);
      const operation = operationOf(route);
      if (examples?.request)
        expect(shown(operation.requestBody.content['application/json']).value, route.id).toEqual(examples.request.value);
      if (examples?.response) {
        const media = operation.responses[contractOf(route).status].content['application/json'];
        expect(shown(media).value, route.id).toEqual(examples.response.value);
      }
    }
  });
});
