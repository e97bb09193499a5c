/**
 * Signed decision links (docs/decisions/0029-notifications-and-decision-links.md): the
 * approve and reject links a gate notification carries, so that a person in a chat
 * channel can decide the gate without a bearer token.
 *
 * A link is `<API>/v1/decision-links?token=sdl_<43 base64url characters>`: 256 random
 * bits, kept only as their SHA-256 in the table, so neither the table nor a log holds
 * a usable link. The link item names one gate (an upgrade's gate by index and opening
 * time, a run's gate by id), one decision and when it expires; it is used at most once
 * (a conditional write), and only while that very gate still waits.
 *
 * - `inspect` (the GET: a confirmation page) reads and changes nothing, so a chat
 *   unfurler or a mail scanner prefetching the link decides nothing.
 * - `use` (the POST of the page's form) takes the link, then decides the gate.
 *
 * Refusals: an unknown, malformed or altered token is 404; a link used, expired, or whose
 * gate no longer waits (decided meanwhile, timed out, reopened later) is 410. Both change nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../common/clock.js';
import { ConflictError, GoneError, NotFoundError } from '../common/errors.js';

export type Decision = 'approve' | 'reject';

/** The gate a link decides: an upgrade's gate (by index and the time it opened) or an update run's gate. */
export type LinkedGate =
  | { readonly kind: 'upgrade'; readonly executionId: string; readonly gateIndex: number; readonly since: string; readonly gate?: string }
  | { readonly kind: 'run'; readonly runId: string; readonly gateId: string; readonly gate?: string };

export interface DecisionLinkRecord {
  /** The first 16 hex digits of the token's SHA-256: names the link in the audit, useless to decide. */
  readonly linkId: string;
  readonly tenantId: string;
  readonly target: LinkedGate;
  readonly decision: Decision;
  /** Who sent the link (the notifier's name), as the audit names it. */
  readonly notifier: string;
  readonly createdAt: string;
  readonly validUntil: string;
  readonly usedAt?: string;
}

/** Where links are kept (functions/notify/link-repository.ts). Keyed by the token's hash, never the token. */
export interface DecisionLinkRepository {
  put(hash: string, link: DecisionLinkRecord): Promise<void>;
  get(hash: string): Promise<DecisionLinkRecord | undefined>;
  /** Marks the link used unless it was used already or is past `validUntil`; false when refused. */
  take(hash: string, now: string): Promise<boolean>;
  /** Gives a link back after a decision that failed for a reason of ours (not a gate that moved on). */
  release(hash: string): Promise<void>;
}

/** How a link's gate is decided, by kind: the upgrades' and the update runs' own decideGate (wired in functions/handlers/). */
export interface GateDeciders {
  /** Whether the gate the link names still waits for a decision. */
  waiting(link: DecisionLinkRecord): Promise<boolean>;
  /** Decides it; a ConflictError when the gate moved on meanwhile. Answers the upgrade's or run's status after it. */
  decide(link: DecisionLinkRecord, comment: string | undefined): Promise<{ status: string }>;
}

export const TOKEN_PREFIX = 'sdl_';
const TOKEN_PATTERN = /^sdl_[A-Za-z0-9_-]{43}$/;

/** A new token: 256 random bits. */
export function newLinkToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** What the table keys a link by. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface LinkView {
  readonly decision: Decision;
  readonly tenantId: string;
  readonly target: LinkedGate;
  readonly validUntil: string;
}

export interface DecisionLinks {
  /** Mints the approve and reject links of one waiting gate. Answers the two tokens: only the notification carries them. */
  issue(input: { tenantId: string; target: LinkedGate; validUntil: Date; notifier: string }): Promise<{ approve: string; reject: string }>;
  inspect(token: string): Promise<LinkView>;
  use(token: string, comment: string | undefined): Promise<LinkView & { status: string; linkId: string }>;
}

/** The actor the audit names for a decision made through a link (docs/decisions/0029-notifications-and-decision-links.md). */
export function linkActor(notifier: string): string {
  return `decision-link:${notifier}`;
}

export function makeDecisionLinks(deps: { links: DecisionLinkRepository; deciders?: GateDeciders; clock: Clock }): DecisionLinks {
  const { links, clock } = deps;

  const find = async (token: string): Promise<{ hash: string; link: DecisionLinkRecord }> => {
    // A malformed token is looked up nowhere: it is as unknown as an altered one.
    if (!TOKEN_PATTERN.test(token)) throw new NotFoundError('This decision link is not valid.');
    const hash = tokenHash(token);
    const link = await links.get(hash);
    if (!link) throw new NotFoundError('This decision link is not valid.');
    if (link.usedAt !== undefined) throw new GoneError(`This decision link was used at ${link.usedAt}; each link decides once.`);
    if (Date.parse(link.validUntil) <= clock.now().getTime()) throw new GoneError(`This decision link expired at ${link.validUntil}.`);
    return { hash, link };
  };
  const deciders = (): GateDeciders => {
    if (!deps.deciders) throw new Error('makeDecisionLinks: no gate deciders were given');
    return deps.deciders;
  };
  const gone = () => new GoneError('The gate of this link no longer waits for a decision.');
  const view = (link: DecisionLinkRecord): LinkView => ({
    decision: link.decision,
    tenantId: link.tenantId,
    target: link.target,
    validUntil: link.validUntil,
  });

  return {
    async issue({ tenantId, target, validUntil, notifier }) {
      const createdAt = clock.now().toISOString();
      const mint = async (decision: Decision) => {
        const token = newLinkToken();
        const hash = tokenHash(token);
        await links.put(hash, {
          linkId: hash.slice(0, 16),
          tenantId,
          target,
          decision,
          notifier,
          createdAt,
          validUntil: validUntil.toISOString(),
        });
        return token;
      };
      return { approve: await mint('approve'), reject: await mint('reject') };
    },

    async inspect(token) {
      const { link } = await find(token);
      if (!(await deciders().waiting(link))) throw gone();
      return view(link);
    },

    async use(token, comment) {
      const { hash, link } = await find(token);
      const decide = deciders();
      if (!(await decide.waiting(link))) throw gone();
      // Taking the link is what makes it single use: of two concurrent uses one wins.
      if (!(await links.take(hash, clock.now().toISOString()))) {
        throw new GoneError('This decision link was used or expired meanwhile; each link decides once.');
      }
      try {
        const { status } = await decide.decide(link, comment);
        return { ...view(link), status, linkId: link.linkId };
      } catch (error) {
        if (error instanceof ConflictError) throw gone();
        await links.release(hash);
        throw error;
      }
    },
  };
}
