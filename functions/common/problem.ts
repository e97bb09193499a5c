import type { AppError } from './errors.js';

/** Base of every problem `type` URI; resolvable documentation lives in the README. */
export const PROBLEM_TYPE_BASE = 'https://sluice.dev/problems/';

export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors: readonly { field: string; message: string; code?: string }[];
  readonly [extension: string]: unknown;
}

/** RFC 9457 problem details for an `AppError`. */
export function toProblem(error: AppError): ProblemDocument {
  return {
    ...error.extensions,
    type: `${PROBLEM_TYPE_BASE}${error.slug}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    errors: error.errors,
  };
}

/** The problem for a failure we did not anticipate: says nothing about the cause. */
export const INTERNAL_PROBLEM: ProblemDocument = {
  type: `${PROBLEM_TYPE_BASE}internal`,
  title: 'Internal server error',
  status: 500,
  detail: 'The request could not be completed. It has been logged.',
  errors: [],
};
