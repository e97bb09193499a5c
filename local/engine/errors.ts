/**
 * Error families of the embedded Step Functions engine.
 *
 * Two kinds are kept apart on purpose: {@link StatesError} is an ASL runtime
 * error (it flows through Retry/Catch and ends up in history), while
 * {@link SfnApiError} is what the Step Functions API answers to a caller
 * (it becomes an HTTP 400 with a `__type` on the wire).
 */

/** Error names of the Amazon States Language that the engine raises itself. */
export const StatesErrors = {
  ALL: 'States.ALL',
  Runtime: 'States.Runtime',
  Timeout: 'States.Timeout',
  HeartbeatTimeout: 'States.HeartbeatTimeout',
  TaskFailed: 'States.TaskFailed',
  DataLimitExceeded: 'States.DataLimitExceeded',
  NoChoiceMatched: 'States.NoChoiceMatched',
  IntrinsicFailure: 'States.IntrinsicFailure',
  BranchFailed: 'States.BranchFailed',
  ResultPathMatchFailure: 'States.ResultPathMatchFailure',
} as const;

/**
 * An ASL runtime error: `error` and `errorCause` are what a Catch sees as
 * `{ Error, Cause }`. The name `errorCause` avoids clashing with the standard
 * `Error.cause`, which keeps its meaning (the underlying exception).
 */
export class StatesError extends Error {
  override readonly name = 'StatesError';
  constructor(
    readonly error: string,
    readonly errorCause?: string,
    options?: { cause?: unknown },
  ) {
    super(`${error}${errorCause === undefined ? '' : `: ${errorCause}`}`, options);
  }
}

/** Shorthand for the uncatchable `States.Runtime` error. */
export function runtimeError(message: string, cause?: unknown): StatesError {
  return new StatesError(StatesErrors.Runtime, message, { cause });
}

/** Error codes of the Step Functions API, as they appear after `com.amazonaws.sfn#`. */
export type SfnErrorCode =
  | 'InvalidDefinition'
  | 'InvalidArn'
  | 'InvalidName'
  | 'InvalidExecutionInput'
  | 'InvalidOutput'
  | 'InvalidToken'
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'StateMachineAlreadyExists'
  | 'StateMachineDoesNotExist'
  | 'TaskDoesNotExist'
  | 'TaskTimedOut'
  | 'ValidationException'
  | 'UnknownOperationException'
  | 'ActivityDoesNotExist'
  | 'ResourceNotFound'
  | 'StateMachineTypeNotSupported'
  | 'ExecutionNotRedrivable'
  | 'MissingRequiredParameter';

/** An error answered by the Step Functions API (HTTP 400 on the wire). */
export class SfnApiError extends Error {
  override readonly name = 'SfnApiError';
  constructor(
    readonly code: SfnErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Thrown when a definition substitution has no value (see `applySubstitutions`). */
export class SubstitutionError extends Error {
  override readonly name = 'SubstitutionError';
  constructor(
    readonly placeholder: string,
    options?: { cause?: unknown },
  ) {
    super(`No substitution value for placeholder \${${placeholder}}`, options);
  }
}

/**
 * Internal signal: the run of a frame must stop without recording anything,
 * because the execution was stopped, timed out, failed elsewhere, or the
 * engine is closing. Never surfaces to callers.
 */
export class HaltSignal extends Error {
  override readonly name = 'HaltSignal';
  constructor(readonly reason: 'closed' | 'aborted') {
    super(`execution halted (${reason})`);
  }
}
