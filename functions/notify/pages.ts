import type { LinkView } from './decision-links.js';

/** Escapes text for HTML content and double-quoted attributes. */
const esc = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const what = (link: LinkView) =>
  link.target.kind === 'upgrade'
    ? `the ${link.target.gate ?? 'gate'} gate of upgrade ${link.target.executionId}`
    : `gate ${link.target.gate ?? link.target.gateId} of update run ${link.target.runId}`;

const verb = (link: LinkView) => (link.decision === 'approve' ? 'Approve' : 'Reject');

const shell = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
  `<meta name="robots" content="noindex"><title>${esc(title)}</title></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;

/**
 * The page a GET of a link answers: what the link would decide and a form that POSTs
 * the decision. No script, so a link unfurler that renders it decides nothing; the token
 * travels on in the form's body, not in a URL.
 */
export function confirmationPage(token: string, link: LinkView): string {
  return shell(
    `${verb(link)} ${what(link)}?`,
    `<p>Tenant ${esc(link.tenantId)}. This link decides once, until ${esc(link.validUntil)}.</p>` +
      `<form method="post" action="decision-links"><input type="hidden" name="token" value="${esc(token)}">` +
      `<p><label>Comment (optional)<br><textarea name="comment" maxlength="1000" rows="3" cols="60"></textarea></label></p>` +
      `<p><button type="submit">${esc(verb(link))}</button></p></form>`,
  );
}

/** The page a POST answers once the gate is decided. */
export function decidedPage(link: LinkView & { status: string }): string {
  return shell(
    `${link.decision === 'approve' ? 'Approved' : 'Rejected'}: ${what(link)}`,
    `<p>Recorded as decided through this notification's link. The ${link.target.kind === 'upgrade' ? 'upgrade' : 'update run'} is now ${esc(link.status)}.</p>`,
  );
}
