/**
 * The one error family of Sluice. Every error a caller may see is an `AppError`
 * subclass carrying its HTTP status, a problem `type` and a `title`; the
 * `problemErrors` middleware turns it into `application/problem+json`. Anything else
 * that escapes a handler is a bug and becomes a generic 500 that leaks nothing.
 */

/** One offending input, as listed in a problem's `errors[]`. */
export interface FieldError {
  /** Where: `body.instances[2].id`, `query.limit`, `path.tenantId`. */
  readonly field: string;
  readonly message: string;
  readonly code?: string;
}

export interface AppErrorOptions {
  readonly errors?: readonly FieldError[];
  /** Extra members of the problem document (e.g. `currentStatus` on a 409). */
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  /** Last segment of the problem `type` URI. */
  abstract readonly slug: string;
  readonly errors: readonly FieldError[];
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(detail: string, options: AppErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.errors = options.errors ?? [];
    this.extensions = options.extensions ?? {};
  }
}

export class BadRequestError extends AppError {
  readonly status = 400;
  readonly title = 'Bad request';
  readonly slug = 'bad-request';
}

export class UnauthorizedError extends AppError {
  readonly status = 401;
  readonly title = 'Unauthorized';
  readonly slug = 'unauthorized';
}

export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly title = 'Forbidden';
  readonly slug = 'forbidden';
}

export class NotFoundError extends AppError {
  readonly status = 404;
  readonly title = 'Not found';
  readonly slug = 'not-found';
}

export class ConflictError extends AppError {
  readonly status = 409;
  readonly title = 'Conflict';
  readonly slug = 'conflict';
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly title = 'Payload too large';
  readonly slug = 'payload-too-large';
}

export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  readonly title = 'Unsupported media type';
  readonly slug = 'unsupported-media-type';
}

/** Well-formed input that breaks a rule: schema violations of a body, domain rules. */
export class ValidationError extends AppError {
  readonly status = 422;
  readonly title = 'Unprocessable content';
  readonly slug = 'validation-failed';
}

/** What was asked for existed once and is gone for good (an events cursor past the feed's retention). */
export class GoneError extends AppError {
  readonly status = 410;
  readonly title = 'Gone';
  readonly slug = 'gone';
}
