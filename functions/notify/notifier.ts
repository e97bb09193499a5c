/**
 * The notifier (docs/decisions/0029-notifications-and-decision-links.md): posts chosen
 * timeline events to one webhook, signed like the webhook target, retried with backoff.
 *
 * ## What a receiver gets
 *
 * ```http
 * POST /your/path HTTP/1.1
 * content-type: application/json
 * x-sluice-timestamp: 1767225600
 * x-sluice-signature: sha256=5f2b…
 * x-sluice-delivery-id: upg_mabc123.7
 * x-sluice-event-type: GateWaiting
 *
 * {"text":"…a line for people…","event":{"type":"GateWaiting","tenantId":"…","executionId":"…",…},
 *  "links":{"approve":"https://…/v1/decision-links?token=sdl_…","reject":"…","expiresAt":"…"}}
 * ```
 *
 * `text` is Slack-compatible (mrkdwn links `<url|label>`), so a Slack incoming webhook shows
 * it as is; `event` is the whole timeline event; `links` only on an approval gate's GateWaiting.
 * The signature is checked as the webhook target's is (`verifyWebhookSignature`).
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { AddressLookup, Connect } from '../targets/guarded-request.js';
import { backoffMs, retryableStatus, signedPost } from '../targets/signed-post.js';
import { capDetail, realSleep, type Sleep } from '../targets/support.js';
import type { DecisionLinks, LinkedGate } from './decision-links.js';
import { deliveryIdOf, type Notice } from './notice.js';

export const DELIVERY_ID_HEADER = 'x-sluice-delivery-id';
export const EVENT_TYPE_HEADER = 'x-sluice-event-type';

/** How long a link to an update run's gate stays valid: such gates have no timeout of their own. */
export const RUN_GATE_LINK_SECONDS = 7 * 86_400;

export interface NotifierConfig {
  readonly url: string;
  readonly secret: string;
  readonly types: ReadonlySet<string>;
  /** Names the notifier in the audit of a link decision (`decision-link:<name>`). */
  readonly name: string;
  /** Where decision links point (the API's base URL); no links without it or when `links` is false. */
  readonly apiBaseUrl?: string;
  readonly links: boolean;
}

export interface NotifierDeps {
  readonly config: NotifierConfig;
  /** Mints decision links; absent: no links. */
  readonly decisionLinks?: DecisionLinks;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  /** Attempts of one delivery, the first included. @default 3 */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly timeoutMs?: number;
  readonly allowPrivateNetworks?: boolean;
  readonly allowInsecureHttp?: boolean;
  readonly lookup?: AddressLookup;
  readonly connect?: Connect;
  readonly ca?: string | readonly string[];
}

/** Every attempt of one delivery failed: the function fails, so Lambda tries the event again (then the dead-letter queue). */
export class NotificationNotDelivered extends Error {
  override readonly name = 'NotificationNotDelivered';
}

export interface Notifier {
  /** Sends the notice when its type is chosen. Throws {@link NotificationNotDelivered} when every attempt failed. */
  notify(notice: Notice): Promise<'sent' | 'skipped'>;
}

export function makeNotifier(deps: NotifierDeps): Notifier {
  const { config, clock, logger } = deps;
  const sleep = deps.sleep ?? realSleep;
  const random = deps.random ?? Math.random;
  const maxAttempts = Math.max(1, deps.maxAttempts ?? 3);
  const url = new URL(config.url);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && deps.allowInsecureHttp === true)) {
    throw new Error(`The notification URL must use https (got ${url.protocol})`);
  }
  // Only the host is logged: a webhook URL's path is often its credential (Slack's is).
  const host = url.host;

  const linksFor = async (notice: Notice) => {
    if (!config.links || !config.apiBaseUrl || !deps.decisionLinks || notice.type !== 'GateWaiting') return undefined;
    const target = linkedGate(notice);
    if (!target) return undefined;
    const detail = notice.detail ?? {};
    const validUntil =
      target.kind === 'upgrade' && typeof detail.timeoutAt === 'string'
        ? new Date(detail.timeoutAt)
        : new Date(clock.now().getTime() + RUN_GATE_LINK_SECONDS * 1000);
    const tokens = await deps.decisionLinks.issue({ tenantId: notice.tenantId, target, validUntil, notifier: config.name });
    const at = (token: string) => `${config.apiBaseUrl}/v1/decision-links?token=${token}`;
    return { approve: at(tokens.approve), reject: at(tokens.reject), expiresAt: validUntil.toISOString() };
  };

  return {
    async notify(notice) {
      if (!config.types.has(notice.type)) return 'skipped';
      const deliveryId = deliveryIdOf(notice);
      const links = await linksFor(notice);
      const body = JSON.stringify({ text: textOf(notice, links), event: notice, ...(links ? { links } : {}) });
      let last = '';
      for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
        const outcome = await signedPost({
          url,
          secret: config.secret,
          body,
          headers: { [DELIVERY_ID_HEADER]: deliveryId, [EVENT_TYPE_HEADER]: notice.type },
          timestamp: Math.floor(clock.now().getTime() / 1000),
          timeoutMs: deps.timeoutMs ?? 10_000,
          userAgent: 'sluice-notifier/1',
          maxResponseBytes: 4096,
          allowPrivateNetworks: deps.allowPrivateNetworks === true,
          ...(deps.lookup === undefined ? {} : { lookup: deps.lookup }),
          ...(deps.connect === undefined ? {} : { connect: deps.connect }),
          ...(deps.ca === undefined ? {} : { ca: deps.ca }),
        });
        if (outcome.kind === 'response' && outcome.status >= 200 && outcome.status < 300) {
          logger.debug('notification sent', { host, deliveryId, type: notice.type, status: outcome.status, deliveryAttempt: attempt });
          return 'sent';
        }
        const retryable = outcome.kind === 'failed' ? outcome.retryable : retryableStatus(outcome.status);
        // Never the receiver's answer: it may echo the body, and with it the links.
        last = outcome.kind === 'failed' ? capDetail(outcome.detail) : `the receiver answered HTTP ${outcome.status}`;
        logger.warn('notification failed', { host, deliveryId, type: notice.type, deliveryAttempt: attempt, detail: last });
        if (!retryable || attempt === maxAttempts) break;
        const headers = outcome.kind === 'response' ? outcome.headers : undefined;
        await sleep(
          backoffMs(attempt, headers, {
            baseDelayMs: deps.baseDelayMs ?? 500,
            maxDelayMs: deps.maxDelayMs ?? 8_000,
            retryAfterCapMs: 20_000,
            random,
            nowMs: clock.now().getTime(),
          }),
        );
      }
      throw new NotificationNotDelivered(`Notification ${deliveryId} to ${host} not delivered: ${last}`);
    },
  };
}

/** The gate a GateWaiting names, when it is one a person decides: an upgrade's gate, or a run's approval gate. */
export function linkedGate(notice: Notice): LinkedGate | undefined {
  const detail = notice.detail ?? {};
  if (notice.executionId && typeof detail.gateIndex === 'number' && typeof detail.since === 'string') {
    return {
      kind: 'upgrade',
      executionId: notice.executionId,
      gateIndex: detail.gateIndex,
      since: detail.since,
      ...(typeof detail.gate === 'string' ? { gate: detail.gate } : {}),
    };
  }
  if (notice.runId && detail.type === 'approval' && typeof detail.gateId === 'string') {
    return { kind: 'run', runId: notice.runId, gateId: detail.gateId, ...(typeof detail.gate === 'string' ? { gate: detail.gate } : {}) };
  }
  return undefined;
}

/** Slack's mrkdwn escapes: `&`, `<` and `>` (anything else is shown as written). */
const mrkdwn = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The line a person reads: what happened, to what, and the links when there are some. */
export function textOf(notice: Notice, links?: { approve: string; reject: string }): string {
  const detail = notice.detail ?? {};
  const subject = notice.executionId ? `upgrade ${notice.executionId}` : `update run ${notice.runId ?? ''}`;
  const said = (key: string) => (typeof detail[key] === 'string' && detail[key] !== '' ? String(detail[key]) : undefined);
  const parts = [`Sluice: ${notice.type}, ${subject} (tenant ${notice.tenantId})`];
  if (notice.type === 'GateWaiting') {
    const gate = said('gate') ?? 'gate';
    const stage = said('stage');
    parts.push(`waits at ${gate}${stage ? ` after stage ${stage}` : ''}${said('timeoutAt') ? ` until ${said('timeoutAt')}` : ''}`);
  }
  const why = said('reason') ?? said('rollbackReason') ?? said('error');
  if (why) parts.push(why);
  if (notice.actor && notice.actor !== 'sluice') parts.push(`by ${notice.actor}`);
  let text = mrkdwn(parts.join(' — '));
  if (links) text += ` — <${links.approve}|Approve> · <${links.reject}|Reject>`;
  return text;
}
