import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The scope of one invocation, as Lambda's runtime gives it to concurrent invocations.
 *
 * Lambda runs one invocation at a time per execution environment, so Powertools keeps
 * what a function's logger appended and its metrics recorded in the function's one
 * Logger and Metrics. The local runtime runs every function in one process, many
 * invocations at once; shared, one request's lines would carry the keys of another that
 * runs meanwhile, and its metrics would be flushed by the other. So it does what Lambda's
 * runtime does where invocations do run concurrently (Lambda Managed Instances): it runs
 * each invocation in a scope of its own, `globalThis.awslambda.InvokeStore`, in which
 * Powertools keeps that state whenever `AWS_LAMBDA_MAX_CONCURRENCY` is set. The store has
 * the shape of `@aws/lambda-invoke-store`'s (which Powertools and the AWS SDK read),
 * over an AsyncLocalStorage, as that package's multi-invocation store is.
 */
export function inInvocationScope<T>(requestId: string, invoke: () => Promise<T>): Promise<T> {
  return installed().run({ [REQUEST_ID]: requestId }, invoke);
}

const REQUEST_ID = Symbol.for('_AWS_LAMBDA_REQUEST_ID');
const X_RAY_TRACE_ID = Symbol.for('_AWS_LAMBDA_X_RAY_TRACE_ID');
const TENANT_ID = Symbol.for('_AWS_LAMBDA_TENANT_ID');

type Scope = Record<PropertyKey, unknown>;

class LocalInvokeStore {
  readonly #scopes = new AsyncLocalStorage<Scope>();
  getContext(): Scope | undefined {
    return this.#scopes.getStore();
  }
  hasContext(): boolean {
    return this.#scopes.getStore() !== undefined;
  }
  get(key: PropertyKey): unknown {
    return this.#scopes.getStore()?.[key];
  }
  set(key: PropertyKey, value: unknown): void {
    const scope = this.#scopes.getStore();
    if (!scope) throw new Error('No invocation scope');
    scope[key] = value;
  }
  run<T>(scope: Scope, invoke: () => T): T {
    return this.#scopes.run(scope, invoke);
  }
  getRequestId(): string {
    return (this.get(REQUEST_ID) as string | undefined) ?? '-';
  }
  getXRayTraceId(): string | undefined {
    return this.get(X_RAY_TRACE_ID) as string | undefined;
  }
  getTenantId(): string | undefined {
    return this.get(TENANT_ID) as string | undefined;
  }
}

/** Where Lambda's runtime puts the store (typed here: `@types/aws-lambda` declares `awslambda` without it). */
const runtime = globalThis as unknown as { awslambda?: { InvokeStore?: unknown } };

/**
 * The store, installed on first use. It replaces any store made earlier in the process
 * (the AWS SDK makes a one-invocation store when the runtime first calls DynamoDB Local),
 * and `AWS_LAMBDA_MAX_CONCURRENCY` is set only together with it: Powertools, told to use a
 * store that is not there, throws. Only the variable's presence matters.
 */
function installed(): LocalInvokeStore {
  runtime.awslambda ??= {};
  const current = runtime.awslambda.InvokeStore;
  if (current instanceof LocalInvokeStore) return current;
  const store = new LocalInvokeStore();
  runtime.awslambda.InvokeStore = store;
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '64';
  return store;
}
