import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod';
import {
  acceptsIdempotencyKey,
  isTenantScoped,
  ROUTES,
  type RouteDefinition,
  type RouteGroup,
  type RouteId,
  routeKey,
} from '../../domain/routes.js';
import {
  AppError,
  BadRequestError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.js';
import { functionLogger, type Logger } from '../logger.js';
import { type InvocationKeys, observe } from '../observe.js';
import { INTERNAL_PROBLEM, toProblem } from '../problem.js';
import { stackFrames } from '../stack-trace.js';
import type { ErrorStatus } from './error-statuses.js';
import { type Idempotency, readIdempotencyKey } from './idempotency.js';
import { type Principal, principalFromEvent } from './principal.js';
import { fieldErrors } from './zod-errors.js';

/** Request bodies above this are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * What a route accepts and answers, as zod schemas: the handler parses with them and
 * the OpenAPI document is generated from them, so the two cannot disagree.
 */
export interface Contract {
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** Status of a successful answer. */
  readonly status: 200 | 201 | 202 | 204;
  /** Shape of a successful answer (documentation; not enforced at runtime). */
  readonly response?: z.ZodType;
  /** A second success status with the same shape, answered through {@link Answer} (documentation). */
  readonly alsoAnswers?: { readonly status: 200 | 201 | 202; readonly description: string };
  /**
   * Error statuses the route answers beyond those its route data implies (`errorStatusesOf`
   * derives the rest from its method, access, path and parts), e.g. a read that refuses a
   * well-formed query by a domain rule (422). Documentation.
   */
  readonly alsoFails?: readonly ErrorStatus[];
  /**
   * The success answer is an HTML page ({@link HtmlPage}) for a browser, and `response`
   * as JSON for a client whose `Accept` asks for JSON and not HTML (the CLI): the
   * decision links' pages.
   */
  readonly html?: true;
  /** The body may also come as `application/x-www-form-urlencoded` (an HTML form's POST), parsed into the same schema. */
  readonly form?: true;
}

/**
 * An answer with another success status than the contract's, for the one route that has
 * two: `POST …/update-runs?dryRun=true` plans (200) where the same body creates (201).
 */
export class Answer {
  constructor(
    readonly status: 200 | 201 | 202,
    readonly body: unknown,
  ) {}
}

/**
 * An HTML answer: a page a browser shows, with headers that keep it inert (no script,
 * nothing loaded, no referrer, no framing, not cached). Only routes whose contract says
 * `html` answer one.
 */
export class HtmlPage {
  constructor(
    readonly status: 200 | 201 | 202,
    readonly html: string,
    /** What a client asking for JSON gets instead. */
    readonly json: unknown,
    readonly csp = "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  ) {}
}

/** Whether a request's `Accept` names JSON and not HTML: a program, not a browser. */
function wantsJson(accept: string | undefined): boolean {
  const types = (accept ?? '').toLowerCase();
  return types.includes('application/json') && !types.includes('text/html');
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface OperationInput<C extends Contract> {
  readonly params: Parsed<C['params']>;
  readonly query: Parsed<C['query']>;
  readonly body: Parsed<C['body']>;
  /** Present on every authenticated route; `undefined` only on public routes. */
  readonly principal: Principal;
  /** Lower-cased request headers. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly requestId: string;
}

export type Operation<C extends Contract, D> = (input: OperationInput<C>, deps: D) => Promise<unknown>;

export type Operations<Cs extends Partial<Record<RouteId, Contract>>, D> = {
  readonly [K in keyof Cs]: Cs[K] extends Contract ? Operation<Cs[K], D> : never;
};

export interface ApiHandlerOptions<Cs extends Partial<Record<RouteId, Contract>>, D> {
  readonly group: RouteGroup;
  readonly contracts: Cs;
  readonly operations: Operations<Cs, D>;
  /**
   * Builds what the operations need once per cold start (clients, repositories, use
   * cases) from the environment. Lazy, so that importing a handler module reads no
   * environment: the local runtime and tests import it before they configure one.
   */
  readonly setup: () => HandlerSetup<D>;
}

export interface HandlerSetup<D> {
  readonly dependencies: D;
  readonly logger: Logger;
  readonly claims: { readonly tenant: string; readonly roles: string };
  /**
   * Makes mutations honour `Idempotency-Key` (see `apiSetup`). Required so that a group
   * cannot drop it by accident; `undefined` turns it off (logged once per cold start).
   */
  readonly idempotency: Idempotency | undefined;
}

export type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * The handler of one route group: middy core with a fixed middleware order (`observe`
 * outermost: the request's log keys and its metrics; then problem errors), then routing
 * by API Gateway's `routeKey`,
 * authentication, tenant and role checks, the `Idempotency-Key` header, parsing, and
 * the operation — run through {@link Idempotency} when the route mutates and the
 * caller sent a key. The idempotency wrapper sits inside the problem-errors middleware
 * and sees only the operation's 2xx answer: an error thrown by the operation frees the
 * key and becomes problem+json outside it, so error answers are never stored.
 *
 * @example
 * export const handler = createApiHandler({ group: 'catalog', contracts, operations, setup: () => catalogSetup(readEnv()) });
 */
export function createApiHandler<Cs extends Partial<Record<RouteId, Contract>>, D>(options: ApiHandlerOptions<Cs, D>): ApiHandler {
  const routes = new Map<string, RouteDefinition>(
    (ROUTES as readonly RouteDefinition[]).filter((route) => route.group === options.group).map((route) => [routeKey(route), route]),
  );
  for (const route of routes.values()) {
    if (!(route.id in options.contracts) || !(route.id in options.operations)) {
      throw new Error(`Route ${route.id} of group ${options.group} has no contract or operation`);
    }
  }
  const mutates = [...routes.values()].some(acceptsIdempotencyKey);
  let setup: HandlerSetup<D> | undefined;
  let warned = false;
  const ready = (): HandlerSetup<D> => {
    setup ??= options.setup();
    return setup;
  };
  /** Once per cold start, from inside the first request, so that the line carries its keys. */
  const warnOnce = ({ logger, idempotency }: HandlerSetup<D>) => {
    if (warned || !mutates || idempotency) return;
    warned = true;
    logger.warn('Idempotency-Key is checked but not honoured: IDEMPOTENCY_TABLE_NAME is not set', { group: options.group });
  };

  const core = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const route = routes.get(event.routeKey);
    if (!route) throw new NotFoundError(`No route ${event.requestContext.http.method} ${event.rawPath}.`);
    const contract = options.contracts[route.id as keyof Cs] as Contract;
    const operation = options.operations[route.id as keyof Cs] as Operation<Contract, D>;

    const built = ready();
    warnOnce(built);
    const { dependencies, claims, idempotency } = built;
    const principal = authorize(route, event, claims);
    const idempotencyKey = acceptsIdempotencyKey(route) ? readIdempotencyKey(event.headers ?? {}) : undefined;
    const params = parsePart('path', contract.params, event.pathParameters ?? {});
    const query = parsePart('query', contract.query, event.queryStringParameters ?? {});
    const body = parseBody(contract.body, event, contract.form === true);

    const execute = async (): Promise<APIGatewayProxyStructuredResultV2> => {
      const result = await operation(
        { params, query, body, principal: principal as Principal, headers: event.headers ?? {}, requestId: context.awsRequestId },
        dependencies,
      );
      if (result instanceof Answer) return json(result.status, result.body);
      if (result instanceof HtmlPage) return wantsJson(event.headers?.accept) ? json(result.status, result.json) : page(result);
      return contract.status === 204 || result === undefined ? { statusCode: contract.status } : json(contract.status, result);
    };
    if (idempotencyKey === undefined || !idempotency || !principal) return execute();
    // authorize() has checked that a path's tenant is the token's tenant, and that a
    // route taking the token's tenant has one.
    const tenantId = route.tenantFromToken ? principal.tenantId : event.pathParameters?.tenantId;
    return idempotency.run(
      {
        scope: isTenantScoped(route) && tenantId !== undefined ? `tenant/${tenantId}` : 'platform',
        subject: principal.subject,
        key: idempotencyKey,
        request: { routeKey: event.routeKey, params: params ?? null, query: query ?? null, body: body ?? null },
      },
      context,
      execute,
    );
  };

  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(
      observe<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>({
        keys: (event) => requestKeys(event, routes, ready().claims),
        done: 'request',
        outcome: (result) => ({ status: result.statusCode }),
      }),
    )
    .use(problemErrors(() => setup?.logger ?? functionLogger()))
    .handler(core);
}

/**
 * The keys of every line of one request: the id API Gateway gives it (the one its access
 * log writes as `requestId`; Lambda's own request id is `function_request_id`), the route,
 * and who is calling, as the JWT authorizer verified it: the token's subject and tenant
 * claim, also when the handler goes on to refuse the request.
 */
function requestKeys(
  event: APIGatewayProxyEventV2,
  routes: ReadonlyMap<string, RouteDefinition>,
  claimNames: { readonly tenant: string },
): InvocationKeys {
  const claims = (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } }).authorizer?.jwt?.claims ?? {};
  const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);
  return {
    requestId: event.requestContext?.requestId,
    route: routes.get(event.routeKey)?.id,
    tenantId: text(claims[claimNames.tenant]),
    sub: text(claims.sub),
  };
}

/** Authentication, then tenant isolation (404, so tenants cannot be probed), then role. */
function authorize(
  route: RouteDefinition,
  event: APIGatewayProxyEventV2,
  claims: { tenant: string; roles: string },
): Principal | undefined {
  if (route.access === 'public') return undefined;
  const principal = principalFromEvent(event, claims);
  if (!principal) throw new UnauthorizedError('A valid bearer token is required.');
  const tenantId = event.pathParameters?.tenantId;
  if (route.path.includes('{tenantId}') && (tenantId === undefined || principal.tenantId !== tenantId)) {
    throw new NotFoundError(`Tenant ${tenantId ?? ''} was not found.`);
  }
  if (route.tenantFromToken && principal.tenantId === undefined) {
    throw new NotFoundError('This token names no tenant, so there is nothing of a tenant to find.');
  }
  if (!route.access.some((role) => principal.roles.has(role))) {
    throw new ForbiddenError(`This action needs one of the roles: ${route.access.join(', ')}.`);
  }
  return principal;
}

function parsePart(where: 'path' | 'query', schema: z.ZodType | undefined, raw: Record<string, string | undefined>): unknown {
  if (!schema) {
    if (where === 'query' && Object.keys(raw).length > 0) {
      throw new BadRequestError('This route takes no query parameters.', {
        errors: Object.keys(raw).map((name) => ({ field: `query.${name}`, message: 'unknown parameter' })),
      });
    }
    return undefined;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new BadRequestError(`Invalid ${where === 'path' ? 'path parameters' : 'query parameters'}.`, {
      errors: fieldErrors(where, parsed.error),
    });
  }
  return parsed.data;
}

/** What a route with a body schema parses when the request has none: an action whose fields are all optional may be sent bare. */
const MISSING_BODY: Readonly<Record<string, never>> = Object.freeze({});

/**
 * Whether a request must carry a body for this body schema: a missing body is parsed
 * as `{}` (see `parseBody`), so one is needed exactly when the schema refuses `{}`
 * (a required field, or a rule such as "send at least one field"). The OpenAPI
 * document's `requestBody.required` is this, so it cannot drift from the handler.
 */
export function needsRequestBody(schema: z.ZodType): boolean {
  return !schema.safeParse(MISSING_BODY).success;
}

function parseBody(schema: z.ZodType | undefined, event: APIGatewayProxyEventV2, form = false): unknown {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`The request body is ${bytes.length} bytes; the limit is ${MAX_BODY_BYTES}.`);
  }
  if (!schema) {
    if (bytes.length > 0 && raw.trim().length > 0) throw new BadRequestError('This route takes no request body.');
    return undefined;
  }
  if (bytes.length === 0) return parseJsonValue(schema, MISSING_BODY);
  const contentType = (event.headers?.['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (form && contentType === 'application/x-www-form-urlencoded') {
    // A field sent twice is refused by the schema (an array where a string belongs), not silently narrowed.
    const fields: Record<string, string | string[]> = {};
    for (const [name, value] of new URLSearchParams(bytes.toString('utf8'))) {
      const before = fields[name];
      fields[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
    }
    return parseJsonValue(schema, fields);
  }
  if (contentType !== 'application/json' && !/^application\/[\w.+-]+\+json$/.test(contentType)) {
    throw new UnsupportedMediaTypeError('Send the body as application/json.');
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new BadRequestError('The request body is not valid UTF-8.', { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new BadRequestError('The request body is not valid JSON.', { cause, errors: [{ field: 'body', message: 'malformed JSON' }] });
  }
  return parseJsonValue(schema, value);
}

function parseJsonValue(schema: z.ZodType, value: unknown): unknown {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError('The request body is not valid.', { errors: fieldErrors('body', parsed.error) });
  return parsed.data;
}

function page(answer: HtmlPage): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: answer.status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': answer.csp,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    },
    body: answer.html,
  };
}

function json(statusCode: number, body: unknown, contentType = 'application/json'): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': contentType }, body: JSON.stringify(body) };
}

/**
 * Turns an `AppError` into `application/problem+json`; anything else is logged (with its
 * stack, in the sources' terms) and answered with a generic 500 that carries no stack,
 * message or cause.
 */
export function problemErrors(logger: () => Logger): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    onError: async (request) => {
      const { error } = request;
      if (error instanceof AppError) {
        if (error.status >= 500) logger().error('request failed', { error, cause: error.cause, stack: stackFrames(error) });
        request.response = json(error.status, toProblem(error), 'application/problem+json');
        return;
      }
      logger().error('unhandled error', { error, routeKey: request.event.routeKey, stack: stackFrames(error) });
      request.response = json(500, INTERNAL_PROBLEM, 'application/problem+json');
    },
  };
}
