/**
 * What a target's failure may say on the record (an instance's `detail`, the timeline):
 * the SDK's messages name the caller's role ARN, the account id and, for credential
 * failures, how the credentials were looked for. Those stay in the logs; the stored
 * detail keeps the error's gist with ARNs, account ids and access key ids masked, and
 * a credentials message replaced as a whole.
 */
const CREDENTIALS = /credential|security token|signature|access key|session token/i;

export function sanitizeDetail(text: string): string {
  if (CREDENTIALS.test(text)) return 'the call was refused for its credentials (see the task function logs)';
  return text
    .replace(/arn:[A-Za-z0-9-]+:[^\s"',;]*/g, '<arn>')
    .replace(/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, '<access-key>')
    .replace(/(?<!\d)\d{12}(?!\d)/g, '<account>');
}
