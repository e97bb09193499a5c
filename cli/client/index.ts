/**
 * The typed Sluice client: `openapi-fetch` over the types generated from the OpenAPI
 * document (`schema.ts`), so every path, parameter, body and answer is checked by the
 * compiler against what the API serves. The CLI uses it, and the console will too.
 */
import createClient from 'openapi-fetch';
import type { paths } from './schema.js';

export type { paths } from './schema.js';
export type SluiceClient = ReturnType<typeof createClient<paths>>;

/** An `application/problem+json` answer. */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly errors?: readonly { readonly field: string; readonly message: string; readonly code?: string }[];
  readonly [extension: string]: unknown;
}

/** The API answered with an error status: its problem document, as sent. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

export interface ClientOptions {
  readonly endpoint: string;
  /** The bearer token for a request to `schemaPath` (the CLI mints a platform-admin one for the catalog locally). */
  readonly token: (schemaPath: string, method: string) => Promise<string | undefined> | string | undefined;
  readonly fetch?: typeof fetch;
}

export function createSluiceClient(options: ClientOptions): SluiceClient {
  const client = createClient<paths>({ baseUrl: options.endpoint.replace(/\/+$/, ''), ...(options.fetch ? { fetch: options.fetch } : {}) });
  client.use({
    async onRequest({ request, schemaPath }) {
      const token = await options.token(schemaPath, request.method);
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      // A program reads JSON: the routes that also answer a page for browsers (the decision links) answer it JSON.
      if (!request.headers.has('accept')) request.headers.set('accept', 'application/json');
      return request;
    },
  });
  return client;
}

/** The data of an answer, or its problem thrown as {@link ApiError}. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  const problem =
    result.error && typeof result.error === 'object'
      ? (result.error as Problem)
      : { title: result.response.statusText, detail: String(result.error ?? '') };
  throw new ApiError(result.response.status, problem);
}
