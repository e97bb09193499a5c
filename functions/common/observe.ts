import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { functionLogger, powertoolsLogger } from './logger.js';
import { functionMetrics } from './metrics.js';
import { mapErrorStack } from './stack-trace.js';

/** What every line of one invocation carries besides the Lambda context: who and what it is about. Absent values are left out. */
export type InvocationKeys = Readonly<Record<string, string | number | undefined>>;

export interface ObserveOptions<TEvent, TResult> {
  /**
   * The invocation's keys, read from its event (and context) once, before anything runs:
   * `requestId`, `tenantId`, `sub`, `route` for an API request; `task` and the execution
   * or run it acts on for a task. Only named, harmless values: never a whole event, which
   * may carry a task token.
   */
  readonly keys: (event: TEvent, context: Context) => InvocationKeys;
  /** The message of the debug line that ends each invocation (`request`, `task`). */
  readonly done: string;
  /** What that line says of a result, e.g. an API answer's status. */
  readonly outcome?: (result: TResult) => Record<string, unknown>;
}

interface Started {
  sluiceStartedAt?: number;
}

/**
 * The middleware every function runs first (docs/architecture.md#logs-and-metrics):
 *
 * - Powertools' `injectLambdaContext`, so each line carries the function and its request
 *   id, and the keys appended for one invocation are reset when it ends (`resetKeys`): a
 *   warm function's next invocation starts without them.
 * - the invocation's own keys, appended once.
 * - on an error that leaves the handler, its stack mapped to the sources (functions/common/stack-trace.ts).
 * - at the end, one debug line with its duration (and outcome or error), then the
 *   metrics it recorded, written as EMF whether it returned or threw: a metric of a task
 *   that failed afterwards still counts.
 *
 * Powertools is reached on first use: handler modules are imported before the local
 * runtime and the tests set the environment it reads.
 */
export function observe<TEvent, TResult>(options: ObserveOptions<TEvent, TResult>): middy.MiddlewareObj<TEvent, TResult> {
  let context: middy.MiddlewareObj | undefined;
  const lambdaContext = () => {
    context ??= injectLambdaContext(powertoolsLogger(), { resetKeys: true, logEvent: false }) as middy.MiddlewareObj;
    return context;
  };
  const end = (request: middy.Request<TEvent, TResult>, fields: Record<string, unknown>): void => {
    const startedAt = (request.internal as Started).sluiceStartedAt;
    try {
      functionLogger().debug(options.done, {
        ...(startedAt === undefined ? {} : { durationMs: Math.round(performance.now() - startedAt) }),
        ...fields,
      });
    } finally {
      functionMetrics().flush();
    }
  };
  return {
    before: async (request) => {
      await lambdaContext().before?.(request as middy.Request);
      (request.internal as Started).sluiceStartedAt = performance.now();
      powertoolsLogger().appendKeys(withoutUndefined(options.keys(request.event, request.context)));
    },
    after: async (request) => {
      end(request, request.response !== null && options.outcome ? options.outcome(request.response) : {});
      await lambdaContext().after?.(request as middy.Request);
    },
    onError: async (request) => {
      // An error that leaves the handler (no inner middleware answered it): what the runtime
      // logs, and a flow gets as its cause. A 4xx answered as problem+json needs no stack.
      if (request.response == null) mapErrorStack(request.error);
      // An error an inner middleware turned into an answer (problem+json) has its response by now.
      const outcome = request.response != null && options.outcome ? options.outcome(request.response) : {};
      end(request, { ...outcome, error: request.error });
      await lambdaContext().onError?.(request as middy.Request);
    },
  };
}

function withoutUndefined(keys: InvocationKeys): Record<string, string | number> {
  return Object.fromEntries(Object.entries(keys).filter((entry): entry is [string, string | number] => entry[1] !== undefined));
}

/**
 * The named fields of a task's event that are strings or numbers, as its keys: a flow
 * sends `{task, tenantId, executionId, …}`, and nothing else of it (a task token) is read.
 */
export function keysOf(event: unknown, names: readonly string[]): InvocationKeys {
  if (event === null || typeof event !== 'object') return {};
  const fields = event as Record<string, unknown>;
  return Object.fromEntries(
    names.flatMap((name) => {
      const value = fields[name];
      return typeof value === 'string' || typeof value === 'number' ? [[name, value]] : [];
    }),
  );
}
