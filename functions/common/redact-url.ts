/**
 * Query parameters whose values are credentials or resume something on someone's
 * behalf: `nextToken`, `token`, `api_key`, `secret`, `signature`, `code` (OAuth), … A
 * log line keeps their names and drops their values.
 */
const SENSITIVE_PARAMETER =
  /token|key|secret|signature|sig$|^sig|code|password|passwd|pwd|auth|credential|session|jwt|bearer|otp|nonce|hmac|assertion|ticket/i;

export const REDACTED = '[redacted]';

/** Whether a query parameter of this name is written to logs as `[redacted]`. */
export function isSensitiveParameter(name: string): boolean {
  return SENSITIVE_PARAMETER.test(name.replace(/[\s_.-]/g, ''));
}

/**
 * A request target (`/path?query`) fit for a log line: the path as it is, the value of
 * every sensitive query parameter replaced by `[redacted]`; the rest is left byte for
 * byte, so the line still shows what was asked. A name is judged decoded (`%74oken` is
 * `token`).
 */
export function redactRequestTarget(target: string | undefined): string | undefined {
  if (target === undefined) return undefined;
  const mark = target.indexOf('?');
  if (mark === -1) return target;
  const query = target
    .slice(mark + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const rawName = equals === -1 ? pair : pair.slice(0, equals);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replaceAll('+', ' '));
      } catch {
        // Not valid percent-encoding: judged as written.
      }
      return isSensitiveParameter(name) && equals !== -1 ? `${rawName}=${REDACTED}` : pair;
    })
    .join('&');
  return `${target.slice(0, mark)}?${query}`;
}
