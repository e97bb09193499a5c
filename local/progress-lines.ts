/**
 * One human line per timeline event, for the local runtime's log: what `npm start` prints
 * while upgrades, update runs and their gates move (`upgrade upg_… p/web BatchStarted
 * batch 2/5, 3 instances`). `local/events.ts` hands it every record it reads from the
 * table's stream and logs the lines at info.
 *
 * Only named detail fields are printed, each cut to one short line, never a whole detail
 * or item: an execution's item carries its gate and resume task tokens, and reasons and
 * URLs come from targets and people. What an event lacks (an upgrade's service, its batch
 * count) is learned from the execution's own item as the stream carries it, and from
 * UpgradeCreated and MemberStarted, and left out while unknown.
 */
import type { AttributeValue, Image, StreamRecord } from './events.js';

const MAX_TEXT = 160;
/** Executions remembered at most: the oldest go first. */
const MAX_KNOWN = 2_000;

/** A string or number attribute as one line of text, cut short. */
function text(value: AttributeValue | undefined): string | undefined {
  const raw = value?.S ?? value?.N;
  if (raw === undefined) return undefined;
  const line = raw.replace(/[\s\p{Cc}]+/gu, ' ').trim();
  return line.length > MAX_TEXT ? `${line.slice(0, MAX_TEXT - 1)}…` : line;
}

const count = (value: AttributeValue | undefined): number | undefined => (value?.N === undefined ? undefined : Number(value.N));
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** `{COMPLETED: 3, FAILED: 1, SKIPPED: 0}` as `3 COMPLETED, 1 FAILED`. */
const counts = (value: AttributeValue | undefined) =>
  Object.entries(value?.M ?? {})
    .filter(([, n]) => (count(n) ?? 0) > 0)
    .map(([status, n]) => `${count(n)} ${status}`)
    .join(', ');
const joined = (...parts: (string | undefined | false)[]) => parts.filter((part) => part !== undefined && part !== false && part !== '');

/** What a line may say about an upgrade that its event does not. */
interface Known {
  service?: string;
  batches?: number;
}

type Detail = Record<string, AttributeValue>;
/** The text after the event's type, from its detail; `known` is the upgrade's (or the member upgrade's) context. */
type Describe = (detail: Detail, known: Known | undefined) => string | undefined;

const batchOf = (detail: Detail, known: Known | undefined) => {
  const batch = count(detail.batch);
  // The API counts batches from 0; a person reads "batch 1/2".
  return batch === undefined ? undefined : `batch ${batch + 1}${known?.batches === undefined ? '' : `/${known.batches}`}`;
};
const memberOf = (detail: Detail) =>
  detail.project?.S && detail.service?.S ? `${text(detail.project)}/${text(detail.service)}` : undefined;
const reasonOf = (detail: Detail) => text(detail.reason) ?? text(detail.cause);
/** An upgrade's gate is a kind (`stage gate after stage canary`); a run's has a name and a type (`canary ok (approval)`). */
const gateOf = (d: Detail) =>
  d.gateId || d.type
    ? joined(text(d.gate), d.type && `(${text(d.type)})`).join(' ')
    : joined(d.gate && `${text(d.gate)} gate`, d.stage && `after stage ${text(d.stage)}`).join(' ');
const gateEvent: Describe = (d) => joined(gateOf(d), reasonOf(d)).join(': ');

const DESCRIBE: Record<string, Describe> = {
  UpgradeCreated: (d) =>
    joined(
      d.fromVersion && d.toVersion && `${text(d.fromVersion)} → ${text(d.toVersion)}`,
      text(d.strategy),
      count(d.instances) !== undefined &&
        `${plural(count(d.instances) ?? 0, 'instance')}${count(d.batches) === undefined ? '' : ` in ${plural(count(d.batches) ?? 0, 'batch', 'batches')}`}`,
      d.updateRunId && `update run ${text(d.updateRunId)}`,
      d.rollbackOf && `rolls back ${text(d.rollbackOf)}`,
    ).join(', '),
  BatchStarted: (d, known) =>
    joined(
      batchOf(d, known),
      count(d.instances) !== undefined && plural(count(d.instances) ?? 0, 'instance'),
      d.retryPass?.BOOL && 'retry pass',
    ).join(', '),
  BatchCompleted: (d, known) => {
    const progress = d.progress?.M;
    return joined(
      batchOf(d, known),
      `${count(d.completed) ?? 0} completed, ${count(d.failed) ?? 0} failed`,
      progress && `${count(progress.completed) ?? 0}/${count(progress.total) ?? 0} instances done`,
    ).join(', ');
  },
  BatchHeld: (d, known) => joined(batchOf(d, known), reasonOf(d)).join(': '),
  InstanceUpgraded: (d, known) => joined(text(d.instanceId), batchOf(d, known)).join(', '),
  InstanceFailed: (d, known) => joined(joined(text(d.instanceId), batchOf(d, known)).join(', '), reasonOf(d)).join(': '),
  GateWaiting: (d) => {
    // An upgrade's gate says where to approve it; a run's, when it opens or how it is decided.
    const gate = gateOf(d);
    if (d.approveUrl) {
      return joined(
        gate,
        `approve: POST ${text(d.approveUrl)}`,
        d.timeoutAt && `times out ${text(d.timeoutAt)}${d.onTimeout ? ` → ${text(d.onTimeout)}` : ''}`,
      ).join(', ');
    }
    return joined(gate, d.startAt && `until ${text(d.startAt)}`, d.decide && `decide: ${text(d.decide)}`).join(', ');
  },
  GateApproved: gateEvent,
  GateRejected: gateEvent,
  GateCompleted: gateEvent,
  GateTimedOut: (d) => joined(gateOf(d), d.outcome && `${text(d.outcome)} (${reasonOf(d)})`).join(': '),
  UpgradeCompleted: (d) => joined(text(d.toVersion), `${count(d.completed) ?? 0} completed, ${count(d.failed) ?? 0} failed`).join(': '),
  UpdateRunCreated: (d) =>
    joined(
      text(d.componentId) && `${text(d.componentId)} → ${text(d.toVersion)}`,
      count(d.members) !== undefined && plural(count(d.members) ?? 0, 'member'),
      count(d.stages) !== undefined && plural(count(d.stages) ?? 0, 'stage'),
      d.emergency?.BOOL && 'emergency',
    ).join(', '),
  UpdateRunCompleted: (d) => counts(d.counts),
  UpdateRunStopped: (d) => counts(d.counts),
  MemberStarted: (d) =>
    joined(memberOf(d), d.executionId && `upgrade ${text(d.executionId)}`, d.fromVersion && `from ${text(d.fromVersion)}`).join(', '),
  MemberCompleted: (d) => joined(memberOf(d), d.executionId && `upgrade ${text(d.executionId)}`).join(', '),
  MemberFailed: (d) => joined(joined(memberOf(d), d.executionId && `upgrade ${text(d.executionId)}`).join(', '), reasonOf(d)).join(': '),
  VersionPublished: (d) => joined(text(d.version), d.channel && `(${text(d.channel)}${d.security?.BOOL ? ', security' : ''})`).join(' '),
};

/** Every other event: the first of these it has, in this order. */
const GENERIC: readonly (readonly [key: string, label: string])[] = [
  ['stage', 'stage'],
  ['group', 'group'],
  ['instanceId', ''],
  ['toVersion', 'to'],
  ['members', 'members'],
  ['instances', 'instances'],
];
const describeGeneric: Describe = (d) => {
  const member = memberOf(d);
  const fields = GENERIC.flatMap(([key, label]) => {
    const value = text(d[key]);
    return value === undefined ? [] : [label ? `${label} ${value}` : value];
  });
  return joined(joined(member, ...fields).join(', '), reasonOf(d)).join(': ');
};

/** Whose event an item is: the upgrade or run it names, else the partition it lives in. */
function subjectOf(image: Image): { kind: 'upgrade' | 'run' | 'component'; id: string } | undefined {
  const executionId = text(image.executionId);
  if (executionId) return { kind: 'upgrade', id: executionId };
  const runId = text(image.runId);
  if (runId) return { kind: 'run', id: runId };
  const pk = image.pk?.S ?? '';
  const id = text({ S: pk.slice(pk.lastIndexOf('#') + 1) });
  if (!id) return undefined;
  if (pk.startsWith('UPGRADE#')) return { kind: 'upgrade', id };
  if (pk.startsWith('UPDATE_RUN#')) return { kind: 'run', id };
  if (pk.startsWith('COMPONENT#')) return { kind: 'component', id };
  return undefined;
}

/** Inserted `EVENT#` items: the timeline pipe's filter (local/events.ts passesPipeFilter). */
const isTimelineEvent = (record: StreamRecord) =>
  record.eventName === 'INSERT' && (record.dynamodb?.NewImage?.sk?.S ?? '').startsWith('EVENT#') && record.dynamodb?.NewImage?.type?.S;

/**
 * Turns stream records into progress lines, remembering across calls what it learned of
 * each upgrade (its service and batch count).
 */
export class ProgressLines {
  private readonly known = new Map<string, Known>();

  /** The lines of the timeline events among `records`; the others only teach it. */
  lines(records: readonly StreamRecord[]): string[] {
    // Learn first: an execution's item and its first event come in one transaction, in either order.
    for (const record of records) this.learn(record);
    return records.flatMap((record) => {
      const line = isTimelineEvent(record) ? this.describe(record.dynamodb?.NewImage ?? {}) : undefined;
      return line === undefined ? [] : [line];
    });
  }

  private describe(image: Image): string | undefined {
    const type = text(image.type);
    if (!type) return undefined;
    const subject = subjectOf(image);
    const known = subject?.kind === 'upgrade' ? this.known.get(subject.id) : undefined;
    const detail = image.detail?.M ?? {};
    const about = (DESCRIBE[type] ?? describeGeneric)(detail, known);
    const actor = text(image.actor);
    return joined(
      subject && `${subject.kind} ${subject.id}`,
      known?.service,
      type,
      about,
      actor && actor !== 'sluice' && `by ${actor}`,
    ).join(' ');
  }

  private learn(record: StreamRecord): void {
    const image = record.dynamodb?.NewImage;
    if (!image) return;
    // An execution's own item (not an event of it, nor an instance): its service and batches.
    const executionId = text(image.executionId);
    const bounds = image.batchBounds?.L;
    if (executionId && image.project?.S && image.service?.S && Array.isArray(bounds)) {
      this.remember(executionId, { service: `${text(image.project)}/${text(image.service)}`, batches: bounds.length - 1 });
    }
    if (!isTimelineEvent(record)) return;
    const detail = image.detail?.M ?? {};
    if (image.type?.S === 'UpgradeCreated' && executionId && count(detail.batches) !== undefined) {
      this.remember(executionId, { batches: count(detail.batches) });
    }
    const member = memberOf(detail);
    const memberUpgrade = text(detail.executionId);
    if (image.type?.S === 'MemberStarted' && member && memberUpgrade) this.remember(memberUpgrade, { service: member });
  }

  private remember(executionId: string, learned: Known): void {
    const known = { ...this.known.get(executionId), ...learned };
    this.known.delete(executionId);
    this.known.set(executionId, known);
    if (this.known.size > MAX_KNOWN) this.known.delete(this.known.keys().next().value as string);
  }
}
