import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Logger } from '../functions/common/logger.js';
import { PROBLEM_TYPE_BASE } from '../functions/common/problem.js';
import { redactRequestTarget } from '../functions/common/redact-url.js';
import { ROUTES, type RouteDefinition, type RouteGroup, routeKey } from '../functions/domain/routes.js';
import type { HttpLambda } from './handlers.js';

/** API Gateway HTTP APIs refuse payloads above 10 MB before any Lambda runs. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

interface CompiledRoute {
  readonly route: RouteDefinition;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

function compile(route: RouteDefinition): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}/g, (_match, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}$`), names };
}

export interface LocalGatewayOptions {
  readonly handlers: Record<RouteGroup, HttpLambda>;
  /** Plays the JWT authorizer: verified, flattened claims for a token, or undefined. */
  readonly authorize: (authorization: string | undefined) => Promise<Record<string, string> | undefined>;
  /**
   * Plays the routes' `authorizationScopes` (CDK context `sluice:jwtScopes`): when not
   * empty, a protected route needs a token whose `scope`/`scp` claim holds at least one
   * of them (else 403, as API Gateway answers). Default: SLUICE_JWT_SCOPES.
   */
  readonly requiredScopes?: readonly string[];
  readonly logger: Logger;
  /** Until this answers true every request gets 503, so `/health` means ready. */
  readonly isReady?: () => boolean;
  /** Lets the runtime add to a response (e.g. its endpoints to `/health`). */
  readonly decorate?: (route: RouteDefinition, result: APIGatewayProxyStructuredResultV2) => APIGatewayProxyStructuredResultV2;
  /**
   * Pages of the local runtime's own, by path, answered to GET (`/docs`): not routes of
   * the HTTP API, which the deployed stack does not serve, so no event, no handler and no
   * token; public like `/openapi.json`.
   */
  readonly pages?: ReadonlyMap<string, () => Promise<APIGatewayProxyStructuredResultV2>>;
  /**
   * Static sites of the local runtime's own, by path prefix (`/console`), answered to GET:
   * like {@link pages}, public and no route of the HTTP API; the site answers every path
   * under its prefix (its files, or its own 404).
   */
  readonly sites?: ReadonlyMap<string, (path: string) => Promise<APIGatewayProxyStructuredResultV2>>;
}

/**
 * A local API Gateway (HTTP API, payload format 2.0): matches the route, runs the JWT
 * check for protected routes, turns the request into the same v2 event API Gateway
 * sends, and calls the handler module of the route's group.
 */
export function createLocalGateway(options: LocalGatewayOptions): Server {
  const routes = (ROUTES as readonly RouteDefinition[]).map(compile);
  const requiredScopes = options.requiredScopes ?? parseScopeList(process.env.SLUICE_JWT_SCOPES);

  return createServer((request, response) => {
    const started = performance.now();
    handle(request, response)
      .catch((error: unknown) => {
        options.logger.error('local gateway failure', { error });
        if (!response.headersSent) sendProblem(response, 500, 'Internal server error', 'The local gateway failed.');
      })
      .finally(() =>
        options.logger.debug('request', {
          // The id of the request's event (`requestContext.requestId`), which every line its handler logs carries.
          requestId: response.getHeader('x-request-id'),
          method: request.method,
          // Never a token or key from the query (`nextToken`, `api_key`, …) in a log line.
          path: redactRequestTarget(request.url),
          status: response.statusCode,
          ms: Math.round(performance.now() - started),
        }),
      );
  });

  function siteOf(pathname: string) {
    for (const [prefix, site] of options.sites ?? []) {
      if (pathname === prefix || pathname.startsWith(`${prefix}/`)) return site;
    }
    return undefined;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (options.isReady && !options.isReady()) {
      response.setHeader('retry-after', '1');
      return sendProblem(response, 503, 'Service unavailable', 'Sluice is still starting.');
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = (request.method ?? 'GET').toUpperCase();
    const body = await readBody(request);
    if (body === 'too-large')
      return sendProblem(response, 413, 'Payload too large', 'The request body exceeds the gateway limit of 10 MB.');
    const page = method === 'GET' ? options.pages?.get(url.pathname) : undefined;
    if (page) return send(response, await page(), randomUUID());
    const site = method === 'GET' ? siteOf(url.pathname) : undefined;
    if (site) return send(response, await site(url.pathname), randomUUID());

    let matched: { compiled: CompiledRoute; values: string[] } | undefined;
    for (const compiled of routes) {
      if (compiled.route.method !== method) continue;
      const found = compiled.pattern.exec(url.pathname);
      if (found) {
        matched = { compiled, values: found.slice(1) };
        break;
      }
    }
    if (!matched) return sendProblem(response, 404, 'Not found', `No route ${method} ${url.pathname}.`);
    const { route, names } = matched.compiled;

    const headers = flattenHeaders(request);
    let claims: Record<string, string> | undefined;
    if (route.access !== 'public') {
      claims = await options.authorize(headers.authorization);
      if (!claims) return sendProblem(response, 401, 'Unauthorized', 'A valid bearer token is required.');
      if (requiredScopes.length > 0) {
        const granted = tokenScopes(claims);
        if (!requiredScopes.some((scope) => granted.has(scope))) {
          return sendProblem(response, 403, 'Forbidden', `The token needs one of the scopes: ${requiredScopes.join(', ')}.`);
        }
      }
    }

    let pathParameters: Record<string, string>;
    try {
      pathParameters = Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(matched.values[index] ?? '')]));
    } catch {
      return sendProblem(response, 400, 'Bad request', 'The path is not valid percent-encoding.');
    }
    const event = toEvent({ request, url, method, route, headers, pathParameters, body, ...(claims ? { claims } : {}) });
    const context = lambdaContext(route.group, event.requestContext.requestId);
    let result = await options.handlers[route.group](event, context);
    if (options.decorate) result = options.decorate(route, result);
    send(response, result, event.requestContext.requestId);
  }
}

/** A comma-separated scope list, as `sluice:jwtScopes` and SLUICE_JWT_SCOPES take it. */
export function parseScopeList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean);
}

/**
 * The scopes of verified (flattened) claims, read as API Gateway reads them: `scope` is
 * space-separated (OAuth), `scp` an array (flattened to `"[a b]"`) or a space-separated
 * string.
 */
export function tokenScopes(claims: Readonly<Record<string, string>>): Set<string> {
  const scopes = new Set<string>();
  for (const name of ['scope', 'scp']) {
    const value = claims[name];
    if (value === undefined) continue;
    for (const scope of value.replace(/^\[(.*)\]$/s, '$1').split(/\s+/)) if (scope) scopes.add(scope);
  }
  return scopes;
}

function toEvent(input: {
  request: IncomingMessage;
  url: URL;
  method: string;
  route: RouteDefinition;
  headers: Record<string, string>;
  pathParameters: Record<string, string>;
  body: Buffer;
  claims?: Record<string, string>;
}): APIGatewayProxyEventV2 {
  const { url, method, route, headers, body, claims } = input;
  // API Gateway joins repeated parameters with commas. Collected in a Map and turned into
  // own properties, so a parameter named `__proto__` arrives as AWS would send it.
  const joined = new Map<string, string>();
  for (const [name, value] of url.searchParams) joined.set(name, joined.has(name) ? `${joined.get(name)},${value}` : value);
  const query = Object.fromEntries(joined);
  const text = isTextual(headers['content-type'], body);
  const now = new Date();
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey: routeKey(route),
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(input.pathParameters).length > 0 ? { pathParameters: input.pathParameters } : {}),
    ...(body.length > 0
      ? { body: text ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !text }
      : { isBase64Encoded: false }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${input.request.httpVersion}`,
        sourceIp: input.request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: routeKey(route),
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      ...(claims ? { authorizer: { jwt: { claims, scopes: [...tokenScopes(claims)] } } } : {}),
    },
  } as APIGatewayProxyEventV2;
}

/**
 * API Gateway base64-encodes bodies it does not consider text. A body declared as
 * JSON but holding invalid UTF-8 must reach the handler byte for byte, so only valid
 * UTF-8 travels as text.
 */
function isTextual(contentType: string | undefined, body: Buffer): boolean {
  const declared = contentType === undefined || /^(text\/|application\/(json|[\w.+-]+\+json|x-www-form-urlencoded))/i.test(contentType);
  if (!declared) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
    return true;
  } catch {
    return false;
  }
}

function flattenHeaders(request: IncomingMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(request.headers)
      .filter((entry): entry is [string, string | string[]] => entry[1] !== undefined)
      .map(([name, value]) => [name.toLowerCase(), Array.isArray(value) ? value.join(',') : value]),
  );
}

async function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > GATEWAY_MAX_BODY_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function lambdaContext(group: string, requestId: string): Context {
  const deadline = Date.now() + 29_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `sluice-${group}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:sluice-${group}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/sluice-${group}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function send(response: ServerResponse, result: APIGatewayProxyStructuredResultV2, requestId: string): void {
  // Set apart from the others so that the request line can read it back (getHeader).
  response.setHeader('x-request-id', requestId);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  const body =
    result.body === undefined ? undefined : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
  response.writeHead(result.statusCode ?? 200, body ? { ...headers, 'content-length': String(body.length) } : headers);
  response.end(body);
}

function sendProblem(response: ServerResponse, status: number, title: string, detail: string): void {
  const slug = title.toLowerCase().replaceAll(' ', '-');
  const body = JSON.stringify({ type: `${PROBLEM_TYPE_BASE}${slug}`, title, status, detail, errors: [] });
  response.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': String(Buffer.byteLength(body)) });
  response.end(body);
}
