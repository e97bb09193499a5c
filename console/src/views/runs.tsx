import { useQuery } from '@tanstack/preact-query';
import { useState } from 'preact/hooks';
import { type Schemas, unwrap, useEventFeed } from '../api.js';
import { href } from '../route.js';
import { may } from '../session.js';
import type { ViewContext } from './context.js';
import { ActionButton, Loading, Problem, Status, TextField, when } from './parts.js';

const FINAL_EVENTS = ['UpdateRunCompleted', 'UpdateRunFailed', 'UpdateRunCancelled'];

/** The tenant's update runs, newest first. */
export function RunsView({ client, session }: ViewContext) {
  const runs = useQuery({
    queryKey: ['runs', session.tenant],
    queryFn: async () =>
      unwrap(
        await client.GET('/v1/tenants/{tenantId}/update-runs', { params: { path: { tenantId: session.tenant }, query: { limit: 100 } } }),
      ),
  });
  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Update runs</h1>
      {runs.isPending && <Loading what="update runs" />}
      <Problem error={runs.error} />
      {runs.data && runs.data.items.length === 0 && <p class="muted">No update run yet.</p>}
      {runs.data && runs.data.items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Members</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.items.map((run) => (
              <tr key={run.runId}>
                <td>
                  <a href={href({ view: 'run', runId: run.runId })}>{run.name}</a>
                </td>
                <td>{run.toVersion}</td>
                <td>
                  <Status value={run.status} />
                </td>
                <td>{countsText(run.counts)}</td>
                <td>{when(run.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function countsText(counts: Schemas['MemberCounts']): string {
  return Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status.toLowerCase()}`)
    .join(', ');
}

/** One update run, live: stages, their groups and members, and the gates between them. */
export function RunView({ client, session, runId }: ViewContext & { runId: string }) {
  const path = { tenantId: session.tenant, runId };
  const key = ['run', session.tenant, runId];
  const run = useQuery({
    queryKey: key,
    queryFn: async () => unwrap(await client.GET('/v1/tenants/{tenantId}/update-runs/{runId}', { params: { path } })),
  });
  const feed = useEventFeed({
    key: `run:${session.tenant}:${runId}`,
    read: async (after, waitSeconds, signal) =>
      unwrap(
        await client.GET('/v1/tenants/{tenantId}/update-runs/{runId}/events', {
          params: { path, query: { ...(after ? { after } : {}), waitSeconds, limit: 100 } },
          signal,
        }),
      ),
    invalidates: [key],
    finalTypes: FINAL_EVENTS,
  });
  if (run.isPending) return <Loading what="the update run" />;
  if (run.error || !run.data) return <Problem error={run.error} />;
  const current = run.data;
  const gate = (gates: readonly Schemas['RunGate'][]) =>
    gates.map((item) => <RunGate key={item.gateId} {...{ client, session, runId }} gate={item} />);
  return (
    <article aria-labelledby="run-title">
      <h1 id="run-title">
        {current.name}: {current.toVersion}
      </h1>
      <p class="summary">
        <Status value={current.status} /> <span>{countsText(current.counts)}</span>
        {current.emergency && <span>emergency</span>}
        <span class="muted">{feed.following ? 'live' : 'ended'}</span>
      </p>
      {current.statusReason && <p class="muted">{current.statusReason}</p>}
      <Problem error={feed.error} />
      <ol class="stages">
        {current.stages.map((stage) => (
          <li key={stage.name} class="stage">
            <h2>
              Stage {stage.name} <Status value={stage.status} />
            </h2>
            {gate(stage.beforeGates)}
            {stage.groups.map((group) => (
              <section key={group.name} class="group" aria-label={`Group ${group.name}`}>
                <h3>
                  Group {group.name} <Status value={group.status} /> <span class="muted">at most {group.maxConcurrency} at a time</span>
                </h3>
                {gate(group.beforeGates)}
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Member</th>
                      <th scope="col">Status</th>
                      <th scope="col">From</th>
                      <th scope="col">Estimated</th>
                      <th scope="col">Upgrade</th>
                    </tr>
                  </thead>
                  <tbody>
                    {group.members.map((member) => (
                      <tr key={`${member.project}/${member.service}`}>
                        <td>
                          {member.project}/{member.service}
                        </td>
                        <td>
                          <Status value={member.status} />
                          {member.reason ? ` ${member.reason}` : ''}
                        </td>
                        <td>{member.fromVersion}</td>
                        <td>{member.estimatedStartAt ? `${when(member.estimatedStartAt)} – ${when(member.estimatedEndAt)}` : '—'}</td>
                        <td>{member.executionId ? <a href={href({ view: 'upgrade', executionId: member.executionId })}>open</a> : '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {gate(group.afterGates)}
              </section>
            ))}
            {gate(stage.afterGates)}
          </li>
        ))}
      </ol>
    </article>
  );
}

function RunGate({ client, session, runId, gate }: ViewContext & { runId: string; gate: Schemas['RunGate'] }) {
  const [comment, setComment] = useState('');
  const path = { tenantId: session.tenant, runId, gateId: gate.gateId };
  const body = comment.trim() ? { comment: comment.trim() } : {};
  return (
    <div class="run-gate">
      <span>
        {gate.type === 'approval' ? 'Approval' : 'Schedule'} gate {gate.name}: <Status value={gate.status} />
        {gate.decidedBy ? ` by ${gate.decidedBy}${gate.comment ? ` (“${gate.comment}”)` : ''}` : ''}
        {gate.startAt ? ` from ${when(gate.startAt)}` : ''}
      </span>
      {gate.type === 'approval' && gate.status === 'WAITING' && may(session, 'approveUpdateRunGate') && (
        <span class="row">
          <TextField id={`gate-${gate.gateId}-comment`} label="Comment" value={comment} onInput={setComment} />
          <ActionButton
            label="Approve"
            variant="primary"
            run={async () =>
              unwrap(await client.POST('/v1/tenants/{tenantId}/update-runs/{runId}/gates/{gateId}/approve', { params: { path }, body }))
            }
          />
          <ActionButton
            label="Reject"
            variant="danger"
            run={async () =>
              unwrap(await client.POST('/v1/tenants/{tenantId}/update-runs/{runId}/gates/{gateId}/reject', { params: { path }, body }))
            }
          />
        </span>
      )}
    </div>
  );
}
