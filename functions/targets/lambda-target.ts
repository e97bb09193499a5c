/**
 * The lambda target: each action invokes the service's function synchronously
 * (`RequestResponse`) with the same JSON document a webhook receives as its body
 * (see `webhook-target.ts`). The function answers like a webhook receiver:
 * `{ healthy?, detail? }`, or `{ ok: false, retryable?, detail }` to report a failure
 * without throwing.
 *
 * The adapter talks to a {@link LambdaInvoker}, so tests pass a fake; the SDK-backed one
 * loads `@aws-sdk/client-lambda` on its first invocation (only services with a lambda
 * target need it).
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaSdk as sdk } from '../common/aws-sdk.js';
import type { Target } from '../services/schemas.js';
import { sanitizeDetail } from './sanitize-detail.js';
import { abortedResult, actionBody, answerToResult, capDetail } from './support.js';
import type { ActionRequest, ActionResult, TargetAdapter } from './target-adapter.js';

type LambdaTargetConfig = Extract<Target, { type: 'lambda' }>;

/** What a synchronous invocation returned. */
export interface LambdaInvocation {
  /** `Handled` / `Unhandled` when the function threw (or timed out, or ran out of memory). */
  readonly functionError?: string;
  readonly payload?: Uint8Array;
}

/**
 * The port: invoke one function with a JSON payload. Errors of the Lambda service
 * (throttling, a missing function, …) are thrown as the SDK throws them, with `name`,
 * `$fault` and `$metadata.httpStatusCode`; the adapter classifies them.
 */
export interface LambdaInvoker {
  invoke(input: { functionArn: string; payload: string }, signal?: AbortSignal): Promise<LambdaInvocation>;
}

/** Lambda answers of up to 6 MB are possible; the adapter reads this much. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** 5xx errors that name a broken configuration: retrying will not mend them. */
const CONFIGURATION_ERRORS: ReadonlySet<string> = new Set([
  'EC2AccessDeniedException',
  'InvalidRuntimeException',
  'InvalidSecurityGroupIDException',
  'InvalidSubnetIDException',
  'InvalidZipFileException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'RecursiveInvocationException',
]);

/** 4xx errors that pass: the function is being created or updated, or we are throttled. */
const TRANSIENT_CLIENT_ERRORS: ReadonlySet<string> = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'ResourceConflictException',
  'ResourceNotReadyException',
  'SnapStartNotReadyException',
]);

interface SdkErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly $fault?: 'client' | 'server';
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/** Whether a thrown invoke error may pass if tried again. */
export function isRetryableLambdaError(error: unknown): boolean {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = shape.name ?? '';
  const status = shape.$metadata?.httpStatusCode;
  if (CONFIGURATION_ERRORS.has(name)) return false;
  if (TRANSIENT_CLIENT_ERRORS.has(name) || shape.$retryable !== undefined) return true;
  if (status !== undefined) return status === 429 || status >= 500;
  if (shape.$fault !== undefined) return shape.$fault === 'server';
  // No response at all: a network error, a socket timeout, a credentials hiccup.
  return true;
}

/**
 * Builds the lambda adapter.
 *
 * @example
 * ```ts
 * const adapter = createLambdaTarget(service.target);             // SDK invoker
 * const inTest = createLambdaTarget(target, { invoker: fakeInvoker });
 * ```
 */
export function createLambdaTarget(target: LambdaTargetConfig, deps: { invoker?: LambdaInvoker } = {}): TargetAdapter {
  let invoker = deps.invoker;
  return {
    async perform(request: ActionRequest, signal?: AbortSignal): Promise<ActionResult> {
      if (signal?.aborted) return abortedResult(request.action);
      invoker ??= defaultInvoker();
      let invocation: LambdaInvocation;
      try {
        invocation = await invoker.invoke({ functionArn: target.functionArn, payload: JSON.stringify(actionBody(request)) }, signal);
      } catch (error) {
        if (signal?.aborted) return abortedResult(request.action);
        const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
        return {
          ok: false,
          retryable: isRetryableLambdaError(error),
          // The SDK's message names the task role's ARN and account (AccessDenied): masked.
          detail: capDetail(sanitizeDetail(`lambda invoke failed: ${shape.name ?? 'Error'}: ${shape.message ?? String(error)}`)),
        };
      }
      const text =
        invocation.payload === undefined ? undefined : new TextDecoder().decode(invocation.payload.subarray(0, MAX_ANSWER_BYTES));
      if (invocation.functionError !== undefined) {
        return {
          ok: false,
          retryable: false,
          detail: capDetail(`function error (${invocation.functionError}): ${describeFunctionError(text)}`),
        };
      }
      return answerToResult(request, text);
    },
  };
}

/** `errorType: errorMessage` of a Lambda error payload, else its raw text. */
function describeFunctionError(text: string | undefined): string {
  if (text === undefined) return 'no detail';
  try {
    const parsed = JSON.parse(text) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string')
      return typeof parsed.errorType === 'string' ? `${parsed.errorType}: ${parsed.errorMessage}` : parsed.errorMessage;
  } catch {
    // not JSON
  }
  return text;
}

let sharedInvoker: LambdaInvoker | undefined;

/** One SDK invoker per process (cold start), created on first use. */
function defaultInvoker(): LambdaInvoker {
  sharedInvoker ??= createSdkLambdaInvoker();
  return sharedInvoker;
}

/**
 * The SDK-backed invoker. A function may live in another region than the caller; the
 * region comes from its ARN, with one client per region.
 */
export function createSdkLambdaInvoker(options: { clientFor?: (region: string) => LambdaClient } = {}): LambdaInvoker {
  const clients = new Map<string, Promise<LambdaClient>>();
  const clientFor = async (region: string) => options.clientFor?.(region) ?? new (await sdk()).LambdaClient({ region });
  return {
    async invoke({ functionArn, payload }, signal) {
      const region = functionArn.split(':')[3] ?? '';
      const { InvokeCommand } = await sdk();
      let made = clients.get(region);
      if (made === undefined) {
        made = clientFor(region);
        clients.set(region, made);
      }
      const client = await made;
      const output = await client.send(
        new InvokeCommand({ FunctionName: functionArn, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(payload) }),
        signal === undefined ? {} : { abortSignal: signal },
      );
      return {
        ...(output.FunctionError === undefined ? {} : { functionError: output.FunctionError }),
        ...(output.Payload === undefined ? {} : { payload: output.Payload }),
      };
    },
  };
}
