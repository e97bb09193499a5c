/**
 * Input and output processing of the JSONPath dialect: InputPath,
 * Parameters / ResultSelector / ItemSelector payload templates, ResultPath and
 * OutputPath, in the order the "Processing input and output" chapter of the
 * Step Functions developer guide gives.
 */

import { runtimeError, StatesError, StatesErrors } from './errors.js';
import { evaluateIntrinsic, isIntrinsic } from './intrinsics.js';
import { stringifyJson } from './json.js';
import { JsonPathSyntaxError, readPath, writePath } from './jsonpath.js';
import { readReference, referenceTarget, type Sources, type Variables } from './references.js';

/** Payload quota of Step Functions: 256 KiB of UTF-8 JSON. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

function preview(value: unknown): string {
  const text = stringifyJson(value) ?? 'undefined';
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/**
 * Resolves a `.$` expression: `$$...` reads the context object, `$name...`
 * a variable, `$...` the input, `States.X(...)` calls an intrinsic function.
 */
export function evaluateExpression(expr: string, input: unknown, context: unknown, field: string, vars?: Variables): unknown {
  const sources: Sources = { input, context, vars };
  if (isIntrinsic(expr)) return evaluateIntrinsic(expr, (arg) => readOrFail(arg, sources, field));
  return readOrFail(expr, sources, field);
}

function readOrFail(expr: string, sources: Sources, field: string): unknown {
  let read: ReturnType<typeof readReference>;
  try {
    read = readReference(expr, sources);
  } catch (err) {
    if (err instanceof JsonPathSyntaxError) throw runtimeError(`Invalid JSONPath '${expr}' for the field '${field}'`, err);
    throw err;
  }
  if (!read.found) {
    throw runtimeError(
      `The JSONPath '${expr}' specified for the field '${field}' could not be found in the input '${preview(referenceTarget(expr, sources))}'`,
    );
  }
  return read.value;
}

/**
 * Evaluates a payload template (Parameters, ResultSelector, ItemSelector,
 * Assign): keys ending in `.$` are replaced by the value of their path or
 * intrinsic; nested objects, including those inside arrays, are processed too.
 */
export function evaluatePayloadTemplate(template: unknown, input: unknown, context: unknown, vars?: Variables): unknown {
  if (Array.isArray(template)) return template.map((v) => evaluatePayloadTemplate(v, input, context, vars));
  if (typeof template !== 'object' || template === null) return template;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) {
      if (typeof value !== 'string') throw runtimeError(`The value of the field '${key}' must be a path or intrinsic function`);
      out[key.slice(0, -2)] = evaluateExpression(value, input, context, key, vars);
    } else {
      out[key] = evaluatePayloadTemplate(value, input, context, vars);
    }
  }
  return out;
}

/** InputPath: `undefined` means `$`; `null` gives `{}`. */
export function applyInputPath(input: unknown, inputPath: string | null | undefined): unknown {
  if (inputPath === null) return {};
  if (inputPath === undefined || inputPath === '$') return input;
  return selectPath(input, inputPath, 'InputPath');
}

/** OutputPath: `undefined` means `$`; `null` gives `{}`. */
export function applyOutputPath(output: unknown, outputPath: string | null | undefined): unknown {
  if (outputPath === null) return {};
  if (outputPath === undefined || outputPath === '$') return output;
  return selectPath(output, outputPath, 'OutputPath');
}

function selectPath(data: unknown, path: string, field: string): unknown {
  let read: ReturnType<typeof readPath>;
  try {
    read = readPath(data, path);
  } catch (err) {
    throw runtimeError(`Invalid ${field} '${path}'`, err);
  }
  // The docs name this case as a typical States.Runtime: a path applied to a
  // payload that does not contain it.
  if (!read.found) throw runtimeError(`Invalid path '${path}' : No results for path: ${field} on input '${preview(data)}'`);
  return read.value;
}

/**
 * ResultPath: `undefined` or `$` replaces the input with the result, `null`
 * discards the result and keeps the raw input, any other reference path
 * writes the result into a copy of the raw input. A path that cannot be
 * written (a field of a string, an index past the end) is
 * `States.ResultPathMatchFailure`, which Retry and Catch can match ("Error
 * names", Step Functions developer guide), not the uncatchable States.Runtime.
 */
export function applyResultPath(rawInput: unknown, result: unknown, resultPath: string | null | undefined): unknown {
  if (resultPath === null) return rawInput;
  if (resultPath === undefined || resultPath === '$') return result;
  try {
    return writePath(rawInput, resultPath, result);
  } catch (err) {
    throw new StatesError(
      StatesErrors.ResultPathMatchFailure,
      `Unable to apply ReferencePath ${resultPath} to input '${preview(rawInput)}'`,
      { cause: err },
    );
  }
}

/** Throws `States.DataLimitExceeded` when `value` is over the payload quota. */
export function assertWithinPayloadLimit(value: unknown, what: string): void {
  assertTextWithinPayloadLimit(stringifyJson(value) ?? '', what);
}

/** Same check on an already serialised payload (saves a second stringify). */
export function assertTextWithinPayloadLimit(text: string, what: string): void {
  // A UTF-8 character takes at most 3 bytes per UTF-16 unit: short texts need no byte count.
  if (text.length * 3 <= MAX_PAYLOAD_BYTES) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_PAYLOAD_BYTES) {
    throw new StatesError(
      StatesErrors.DataLimitExceeded,
      `The ${what} of ${bytes} bytes exceeds the maximum of ${MAX_PAYLOAD_BYTES} bytes`,
    );
  }
}
