import type * as z from 'zod';
import type { FieldError } from '../errors.js';

/** Turns zod issues into the `errors[]` of a problem, one entry per offending field. */
export function fieldErrors(where: 'body' | 'query' | 'path', error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    const at = formatPath(where, issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: formatPath(where, [...issue.path, key]), message: 'unknown field', code: issue.code }));
    }
    return [{ field: at, message: issue.message, code: issue.code }];
  });
}

function formatPath(where: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : `${acc}.${String(part)}`), where);
}
