/**
 * The local runtime's progress log (local/progress-lines.ts): one human line per timeline
 * event read from the table's stream, with what the execution's own item tells (its
 * service, its batch count), and never a task token or a whole detail.
 */
import { describe, expect, it } from 'vitest';
import type { AttributeValue, Image, StreamRecord } from '../../local/events.js';
import { ProgressLines } from '../../local/progress-lines.js';

/** Plain data as DynamoDB JSON, as a stream record's image carries it. */
function attribute(value: unknown): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(attribute) };
  return { M: image(value as Record<string, unknown>) };
}
const image = (item: Record<string, unknown>): Image =>
  Object.fromEntries(Object.entries(item).map(([key, value]) => [key, attribute(value)]));
const insert = (item: Record<string, unknown>, eventName = 'INSERT'): StreamRecord => ({ eventName, dynamodb: { NewImage: image(item) } });

let sequence = 0;
/** An upgrade's timeline item, as the upgrade repository writes it. */
const upgradeEvent = (executionId: string, type: string, detail?: Record<string, unknown>, actor?: string) =>
  insert({
    pk: `UPGRADE#${executionId}`,
    sk: `EVENT#2026-01-01T00:00:00.000Z#${String(sequence++).padStart(8, '0')}`,
    executionId,
    type,
    at: '2026-01-01T00:00:00.000Z',
    ...(actor ? { actor } : {}),
    ...(detail ? { detail } : {}),
  });
const runEvent = (runId: string, type: string, detail?: Record<string, unknown>, actor?: string) =>
  insert({
    pk: `UPDATE_RUN#${runId}`,
    sk: `EVENT#2026-01-01T00:00:00.000Z#${String(sequence++).padStart(8, '0')}`,
    runId,
    type,
    at: '2026-01-01T00:00:00.000Z',
    ...(actor ? { actor } : {}),
    ...(detail ? { detail } : {}),
  });
/** The execution's own item: it carries the task tokens, which no line may show. */
const execution = (executionId: string, eventName = 'INSERT') =>
  insert(
    {
      pk: 'TENANT#acme',
      sk: `UPGRADE#${executionId}`,
      executionId,
      tenantId: 'acme',
      project: 'p',
      service: 'web',
      batchBounds: [0, 2, 4, 5],
      status: 'IN_PROGRESS',
      gateToken: 'SECRET-GATE-TOKEN',
      resumeToken: 'SECRET-RESUME-TOKEN',
    },
    eventName,
  );

describe('progress lines', () => {
  it('say one line per upgrade event, with the service and the batch count its item tells', () => {
    const progress = new ProgressLines();
    const lines = progress.lines([
      // The event of the create comes in the same transaction as the item, before it here.
      upgradeEvent(
        'upg_1',
        'UpgradeCreated',
        { fromVersion: '1.0.0', toVersion: '1.1.0', strategy: 'ROLLING', instances: 5, batches: 3, impact: [] },
        'alice',
      ),
      execution('upg_1'),
      insert({ pk: 'UPGRADE#upg_1', sk: 'INSTANCE#000000', executionId: 'upg_1', instanceId: 'i-0', status: 'PENDING' }),
    ]);
    expect(lines).toEqual(['upgrade upg_1 p/web UpgradeCreated 1.0.0 → 1.1.0, ROLLING, 5 instances in 3 batches by alice']);
    expect(
      progress.lines([
        execution('upg_1', 'MODIFY'),
        upgradeEvent('upg_1', 'UpgradeStarted', undefined, 'alice'),
        upgradeEvent('upg_1', 'PreChecksPassed', { preChecks: [{ name: 'version-policy', passed: true }] }, 'sluice'),
        upgradeEvent('upg_1', 'BatchStarted', { batch: 1, instances: 2 }),
        upgradeEvent('upg_1', 'InstanceUpgraded', { instanceId: 'i-2', batch: 1 }),
        upgradeEvent('upg_1', 'InstanceFailed', { instanceId: 'i-3', batch: 1, reason: 'health check failed:\n503 from /healthz' }),
        upgradeEvent('upg_1', 'BatchCompleted', {
          batch: 1,
          completed: 1,
          failed: 1,
          progress: { total: 5, completed: 3, failed: 1 },
        }),
        upgradeEvent('upg_1', 'UpgradeFailed', { reason: 'failure threshold reached', completed: 3, failed: 1 }, 'sluice'),
      ]),
    ).toEqual([
      'upgrade upg_1 p/web UpgradeStarted by alice',
      'upgrade upg_1 p/web PreChecksPassed',
      'upgrade upg_1 p/web BatchStarted batch 2/3, 2 instances',
      'upgrade upg_1 p/web InstanceUpgraded i-2, batch 2/3',
      'upgrade upg_1 p/web InstanceFailed i-3, batch 2/3: health check failed: 503 from /healthz',
      'upgrade upg_1 p/web BatchCompleted batch 2/3, 1 completed, 1 failed, 3/5 instances done',
      'upgrade upg_1 p/web UpgradeFailed failure threshold reached',
    ]);
  });

  it('say where a waiting gate is approved and how it ends, and never show a task token', () => {
    const progress = new ProgressLines();
    const lines = progress.lines([
      execution('upg_2'),
      upgradeEvent(
        'upg_2',
        'GateWaiting',
        {
          executionId: 'upg_2',
          gate: 'stage',
          gateIndex: 0,
          stage: 'canary',
          nextStage: 'rest',
          approveUrl: 'http://127.0.0.1:3000/v1/tenants/acme/upgrades/upg_2/approve',
          rejectUrl: 'http://127.0.0.1:3000/v1/tenants/acme/upgrades/upg_2/reject',
          timeoutAt: '2026-01-02T00:00:00.000Z',
          onTimeout: 'reject',
        },
        'sluice',
      ),
      upgradeEvent('upg_2', 'GateApproved', { gate: 'stage', gateIndex: 0, stage: 'canary' }, 'april'),
      upgradeEvent('upg_2', 'GateTimedOut', { gate: 'traffic-switch', gateIndex: 1, outcome: 'approve', cause: 'no decision within 60s' }),
      upgradeEvent('upg_2', 'UpgradeCompleted', { toVersion: '1.1.0', completed: 5, failed: 0 }, 'sluice'),
    ]);
    expect(lines).toEqual([
      'upgrade upg_2 p/web GateWaiting stage gate after stage canary, approve: POST http://127.0.0.1:3000/v1/tenants/acme/upgrades/upg_2/approve, times out 2026-01-02T00:00:00.000Z → reject',
      'upgrade upg_2 p/web GateApproved stage gate after stage canary by april',
      'upgrade upg_2 p/web GateTimedOut traffic-switch gate: approve (no decision within 60s)',
      'upgrade upg_2 p/web UpgradeCompleted 1.1.0: 5 completed, 0 failed',
    ]);
    expect(lines.join('\n')).not.toMatch(/SECRET|Token/);
  });

  it('say an update run’s progress, and name each member upgrade’s service after MemberStarted', () => {
    const progress = new ProgressLines();
    expect(
      progress.lines([
        runEvent(
          'run_1',
          'UpdateRunCreated',
          { componentId: 'cmp_1', toVersion: '1.1.0', emergency: false, members: 4, skipped: 0, stages: 2 },
          'olga',
        ),
        runEvent('run_1', 'StageStarted', { stage: 'canary', index: 0 }),
        runEvent('run_1', 'GroupStarted', { stage: 'canary', group: 'web', members: 2 }),
        runEvent('run_1', 'MemberStarted', {
          project: 'p',
          service: 'api',
          stage: 0,
          group: 0,
          executionId: 'upg_9',
          fromVersion: '1.0.0',
        }),
        runEvent('run_1', 'MemberWaiting', { project: 'p', service: 'db', stage: 0, group: 0, reason: 'maintenance window closed' }),
        runEvent('run_1', 'GateWaiting', {
          gateId: 'g-1',
          gate: 'canary ok',
          type: 'approval',
          decide: 'POST /v1/tenants/acme/update-runs/run_1/gates/g-1/approve (or /reject), role approver',
        }),
        runEvent('run_1', 'GateApproved', { gateId: 'g-1', gate: 'canary ok', comment: 'looks fine' }, 'april'),
        runEvent('run_1', 'GateWaiting', { gateId: 'g-2', gate: 'night', type: 'schedule', startAt: '2026-01-03T02:00:00.000Z' }),
        runEvent('run_1', 'UpdateRunCompleted', { counts: { COMPLETED: 3, FAILED: 0, SKIPPED: 1, PENDING: 0 } }),
        upgradeEvent('upg_9', 'BatchStarted', { batch: 0, instances: 1 }),
      ]),
    ).toEqual([
      'run run_1 UpdateRunCreated cmp_1 → 1.1.0, 4 members, 2 stages by olga',
      'run run_1 StageStarted stage canary',
      'run run_1 GroupStarted stage canary, group web, members 2',
      'run run_1 MemberStarted p/api, upgrade upg_9, from 1.0.0',
      'run run_1 MemberWaiting p/db, stage 0, group 0: maintenance window closed',
      'run run_1 GateWaiting canary ok (approval), decide: POST /v1/tenants/acme/update-runs/run_1/gates/g-1/approve (or /reject), role approver',
      'run run_1 GateApproved canary ok by april',
      'run run_1 GateWaiting night (schedule), until 2026-01-03T02:00:00.000Z',
      'run run_1 UpdateRunCompleted 3 COMPLETED, 1 SKIPPED',
      'upgrade upg_9 p/api BatchStarted batch 1, 1 instance',
    ]);
  });

  it('say only what the pipe passes: inserted EVENT# items, one line each however long their text', () => {
    const progress = new ProgressLines();
    const published = insert({
      pk: 'COMPONENT#cmp_1',
      sk: 'EVENT#2026-01-01T00:00:00.000Z#0a1b2c3d',
      type: 'VersionPublished',
      actor: 'root',
      detail: { componentId: 'cmp_1', version: '1.2.0', channel: 'stable', security: true },
    });
    const modified = { ...upgradeEvent('upg_3', 'UpgradeStarted'), eventName: 'MODIFY' };
    const long = upgradeEvent('upg_3', 'UpgradeFailed', { reason: `line one\r\nline two\t${'x'.repeat(500)}` });
    const lines = progress.lines([published, modified, execution('upg_3'), long]);
    expect(lines[0]).toBe('component cmp_1 VersionPublished 1.2.0 (stable, security) by root');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^upgrade upg_3 p\/web UpgradeFailed line one line two x+…$/);
    expect(lines[1]?.length).toBeLessThan(220);
  });
});
