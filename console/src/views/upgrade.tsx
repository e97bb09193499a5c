import { useQuery } from '@tanstack/preact-query';
import { useState } from 'preact/hooks';
import { TRANSITIONS } from '../../../functions/domain/status.js';
import { type FeedEvent, type Schemas, unwrap, useEventFeed } from '../api.js';
import { may } from '../session.js';
import type { ViewContext } from './context.js';
import { ActionButton, Loading, Problem, Status, TextField, when } from './parts.js';

const FINAL_EVENTS = ['UpgradeCompleted', 'UpgradeFailed', 'UpgradeRolledBack', 'UpgradeCancelled'];

type Instance = Schemas['UpgradeInstance'];

/**
 * One upgrade, live: its status, batches, instance grid and timeline follow the upgrade's
 * events feed (a long poll), and the actions its state allows sit next to it, for the
 * roles that may use them.
 */
export function UpgradeView({ client, session, executionId }: ViewContext & { executionId: string }) {
  const path = { tenantId: session.tenant, executionId };
  const upgradeKey = ['upgrade', session.tenant, executionId];
  const instancesKey = ['upgrade-instances', session.tenant, executionId];
  const upgrade = useQuery({
    queryKey: upgradeKey,
    queryFn: async () => unwrap(await client.GET('/v1/tenants/{tenantId}/upgrades/{executionId}', { params: { path } })),
  });
  const instances = useQuery({
    queryKey: instancesKey,
    queryFn: async () => {
      const all: Instance[] = [];
      let nextToken: string | undefined;
      do {
        const page = unwrap(
          await client.GET('/v1/tenants/{tenantId}/upgrades/{executionId}/instances', {
            params: { path, query: { limit: 100, ...(nextToken ? { nextToken } : {}) } },
          }),
        );
        all.push(...page.items);
        nextToken = page.nextToken;
      } while (nextToken);
      return all;
    },
  });
  const feed = useEventFeed({
    key: `upgrade:${session.tenant}:${executionId}`,
    read: async (after, waitSeconds, signal) =>
      unwrap(
        await client.GET('/v1/tenants/{tenantId}/upgrades/{executionId}/events', {
          params: { path, query: { ...(after ? { after } : {}), waitSeconds, limit: 100 } },
          signal,
        }),
      ),
    invalidates: [upgradeKey, instancesKey],
    finalTypes: FINAL_EVENTS,
  });

  if (upgrade.isPending) return <Loading what="the upgrade" />;
  if (upgrade.error || !upgrade.data) return <Problem error={upgrade.error} />;
  const current = upgrade.data;
  return (
    <article aria-labelledby="upgrade-title" class="upgrade">
      <h1 id="upgrade-title">
        {current.project}/{current.service}: {current.fromVersion} → {current.toVersion}
      </h1>
      <p class="summary">
        <Status value={current.status} /> <span>{current.strategy}</span>
        <span>
          {current.progress.completed} of {current.progress.total} instances upgraded
          {current.progress.failed > 0 ? `, ${current.progress.failed} failed` : ''}
        </span>
        <span>
          batch {current.completedBatches} of {current.totalBatches}
        </span>
        <span class="muted" aria-live="polite">
          {feed.following ? 'live' : 'ended'}
        </span>
      </p>
      {current.statusReason && <p class="muted">{current.statusReason}</p>}
      <Problem error={feed.error} />
      <Problem error={instances.error} />
      {current.waitingFor && <Gate {...{ client, session }} upgrade={current} />}
      <Actions {...{ client, session }} upgrade={current} />
      <Batches instances={instances.data ?? []} />
      <InstanceGrid instances={instances.data ?? []} />
      <Timeline events={feed.events} />
    </article>
  );
}

function Gate({ client, session, upgrade }: ViewContext & { upgrade: Schemas['Upgrade'] }) {
  const [comment, setComment] = useState('');
  const waiting = upgrade.waitingFor as Schemas['WaitingFor'];
  const path = { tenantId: session.tenant, executionId: upgrade.executionId };
  const body = comment.trim() ? { comment: comment.trim() } : {};
  return (
    <section class="gate" aria-labelledby="gate-title">
      <h2 id="gate-title">Waiting for a decision: {waiting.gate}</h2>
      <p>
        {waiting.stage ? `Stage ${waiting.stage}. ` : ''}Waiting since {when(waiting.since)}
        {waiting.timeoutAt ? `; on ${when(waiting.timeoutAt)} it will ${waiting.onTimeout ?? upgrade.onGateTimeout}` : ''}.
      </p>
      {may(session, 'approveGate') ? (
        <div class="row">
          <TextField id="gate-comment" label="Comment" value={comment} onInput={setComment} />
          <ActionButton
            label="Approve"
            variant="primary"
            run={async () => unwrap(await client.POST('/v1/tenants/{tenantId}/upgrades/{executionId}/approve', { params: { path }, body }))}
            then={() => setComment('')}
          />
          <ActionButton
            label="Reject"
            variant="danger"
            run={async () => unwrap(await client.POST('/v1/tenants/{tenantId}/upgrades/{executionId}/reject', { params: { path }, body }))}
            then={() => setComment('')}
          />
        </div>
      ) : (
        <p class="muted">An approver decides this gate.</p>
      )}
    </section>
  );
}

function Actions({ client, session, upgrade }: ViewContext & { upgrade: Schemas['Upgrade'] }) {
  const [reason, setReason] = useState('');
  const status = upgrade.status;
  // Only what the status table lets this status become: the API refuses the rest with 409 anyway.
  const next: readonly string[] = TRANSITIONS[status];
  if (!may(session, 'pauseUpgrade') || next.length === 0) return null;
  const path = { tenantId: session.tenant, executionId: upgrade.executionId };
  return (
    <section class="actions" aria-label="Actions">
      {status === 'PENDING' && (
        <ActionButton
          label="Start"
          variant="primary"
          run={async () => unwrap(await client.POST('/v1/tenants/{tenantId}/upgrades/{executionId}/start', { params: { path }, body: {} }))}
        />
      )}
      {next.includes('PAUSED') && (
        <ActionButton
          label="Pause"
          run={async () => unwrap(await client.POST('/v1/tenants/{tenantId}/upgrades/{executionId}/pause', { params: { path }, body: {} }))}
        />
      )}
      {status === 'PAUSED' && (
        <ActionButton
          label="Resume"
          run={async () =>
            unwrap(await client.POST('/v1/tenants/{tenantId}/upgrades/{executionId}/resume', { params: { path }, body: {} }))
          }
        />
      )}
      {status === 'CANARY_MONITORING' && (
        <ActionButton
          label="Promote canary"
          run={async () =>
            unwrap(await client.POST('/v1/tenants/{tenantId}/upgrades/{executionId}/promote-canary', { params: { path }, body: {} }))
          }
        />
      )}
      {next.includes('CANCELLED') && (
        <ActionButton
          label="Cancel"
          variant="danger"
          run={async () =>
            unwrap(await client.POST('/v1/tenants/{tenantId}/upgrades/{executionId}/cancel', { params: { path }, body: {} }))
          }
        />
      )}
      {next.includes('ROLLING_BACK') && (
        <span class="row">
          <TextField id="rollback-reason" label="Rollback reason" value={reason} onInput={setReason} />
          <ActionButton
            label="Roll back"
            variant="danger"
            disabled={reason.trim() === ''}
            run={async () =>
              unwrap(
                await client.POST('/v1/tenants/{tenantId}/upgrades/{executionId}/rollback', {
                  params: { path },
                  body: { reason: reason.trim() },
                }),
              )
            }
            then={() => setReason('')}
          />
        </span>
      )}
    </section>
  );
}

function Batches({ instances }: { instances: readonly Instance[] }) {
  const batches = new Map<number, Instance[]>();
  for (const instance of instances) batches.set(instance.batch, [...(batches.get(instance.batch) ?? []), instance]);
  if (batches.size === 0) return null;
  return (
    <section aria-labelledby="batches-title">
      <h2 id="batches-title">Batches</h2>
      <ol class="batches">
        {[...batches.entries()]
          .sort(([a], [b]) => a - b)
          .map(([batch, members]) => {
            const done = members.filter((member) => member.status === 'COMPLETED').length;
            const failed = members.filter((member) => member.status === 'FAILED').length;
            return (
              <li key={batch}>
                <span>Batch {batch + 1}</span>
                <progress max={members.length} value={done} aria-label={`Batch ${batch + 1}: ${done} of ${members.length} upgraded`} />
                <span>
                  {done}/{members.length}
                  {failed > 0 ? `, ${failed} failed` : ''}
                </span>
              </li>
            );
          })}
      </ol>
    </section>
  );
}

function InstanceGrid({ instances }: { instances: readonly Instance[] }) {
  if (instances.length === 0) return null;
  return (
    <section aria-labelledby="instances-title">
      <h2 id="instances-title">Instances</h2>
      <ul class="grid">
        {[...instances]
          .sort((a, b) => a.index - b.index)
          .map((instance) => (
            <li
              key={instance.instanceId}
              class={`cell status-${instance.status.toLowerCase().replaceAll('_', '-')}`}
              title={`${instance.instanceId}: ${instance.status}${instance.detail ? ` (${instance.detail})` : ''}`}
            >
              <span class="cell-id">{instance.instanceId}</span>
              <span class="cell-status">{instance.status}</span>
            </li>
          ))}
      </ul>
    </section>
  );
}

function Timeline({ events }: { events: readonly FeedEvent[] }) {
  return (
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline</h2>
      {events.length === 0 ? (
        <p class="muted">No event yet.</p>
      ) : (
        <ol class="timeline">
          {[...events].reverse().map((event) => (
            <li key={event.cursor}>
              <time dateTime={event.at}>{when(event.at)}</time> <strong>{event.type}</strong>
              {event.actor ? ` by ${event.actor}` : ''}
              {event.detail && Object.keys(event.detail).length > 0 ? <span class="detail"> {describeDetail(event.detail)}</span> : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** An event's facts as `key: value` pairs (text: JSX escapes it). */
function describeDetail(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
}
