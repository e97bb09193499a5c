import { describe, expect, it } from 'vitest';
import { DEFAULT_NOTIFY_TYPES, parseNotifyTypes } from '../../functions/domain/notify-types.js';
import { deliveryIdOf, noticeFromBusEvent } from '../../functions/notify/notice.js';
import { linkedGate, textOf } from '../../functions/notify/notifier.js';
import { TIMELINE_INPUT_TEMPLATE } from '../../lib/constructs/timeline-publisher.js';
import { notifierRule } from '../../local/events.js';

/** What EventBridge hands the notifier: the pipe's template rendered from an item, under the bus envelope. */
const busEvent = (values: Record<string, string>) => ({
  version: '0',
  id: 'e1',
  source: 'sluice.upgrades',
  'detail-type': values.type,
  detail: JSON.parse(
    TIMELINE_INPUT_TEMPLATE.replace(
      /<\$\.dynamodb\.NewImage\.(\w+)\.[SM]>/g,
      (_m, name: string) => values[name] ?? (name === 'detail' ? '{}' : ''),
    ),
  ),
});

describe('noticeFromBusEvent', () => {
  it("reads what the pipe makes of an upgrade's GateWaiting: keys, number, plain detail", () => {
    const notice = noticeFromBusEvent(
      busEvent({
        executionId: 'upg_1',
        tenantId: 'acme',
        sk: 'EVENT#000000000007',
        type: 'GateWaiting',
        at: '2026-01-01T00:00:00.000Z',
        actor: 'sluice',
        detail:
          '{"gate":{"S":"stage-approval"},"gateIndex":{"N":"0"},"since":{"S":"2026-01-01T00:00:00.000Z"},"timeoutAt":{"S":"2026-01-01T01:00:00.000Z"}}',
      }),
    );
    expect(notice).toEqual({
      tenantId: 'acme',
      executionId: 'upg_1',
      seq: 7,
      type: 'GateWaiting',
      at: '2026-01-01T00:00:00.000Z',
      actor: 'sluice',
      detail: { gate: 'stage-approval', gateIndex: 0, since: '2026-01-01T00:00:00.000Z', timeoutAt: '2026-01-01T01:00:00.000Z' },
    });
    expect(deliveryIdOf(notice)).toBe('upg_1.7');
    expect(linkedGate(notice)).toEqual({
      kind: 'upgrade',
      executionId: 'upg_1',
      gateIndex: 0,
      since: '2026-01-01T00:00:00.000Z',
      gate: 'stage-approval',
    });
  });

  it('reads an empty string as absent (Pipes writes an absent path so), and refuses an event without a tenant or a number', () => {
    const notice = noticeFromBusEvent(
      busEvent({ runId: 'run_1', tenantId: 'acme', sk: 'EVENT#000000000002', type: 'UpdateRunFailed', at: 'now' }),
    );
    expect(notice).toEqual({ tenantId: 'acme', runId: 'run_1', seq: 2, type: 'UpdateRunFailed', at: 'now' });
    const typed = noticeFromBusEvent(
      busEvent({
        runId: 'run_1',
        tenantId: 'acme',
        sk: 'EVENT#3',
        type: 'MemberFailed',
        at: 'now',
        detail: '{"ok":{"BOOL":false},"xs":{"L":[{"N":"1"},{"S":"a"}]},"none":{"NULL":true},"m":{"M":{"k":{"N":"2.5"}}}}',
      }),
    );
    expect(typed.detail).toEqual({ ok: false, xs: [1, 'a'], none: null, m: { k: 2.5 } });
    expect(() => noticeFromBusEvent(busEvent({ runId: 'run_1', sk: 'EVENT#1', type: 'X', at: 'now' }))).toThrow(/tenantId/);
    expect(() => noticeFromBusEvent(busEvent({ runId: 'run_1', tenantId: 'acme', sk: 'HEAD', type: 'X', at: 'now' }))).toThrow();
  });

  it('reads the event the local rule builds from a stream image the same way', () => {
    const rule = notifierRule(['GateWaiting']);
    const payload = rule.input({
      pk: { S: 'UPDATE_RUN#run_1' },
      sk: { S: 'EVENT#000000000004' },
      runId: { S: 'run_1' },
      tenantId: { S: 'acme' },
      type: { S: 'GateWaiting' },
      at: { S: 'now' },
      detail: { M: { gateId: { S: 'g-1' }, type: { S: 'approval' }, gate: { S: 'go' } } },
    });
    const notice = noticeFromBusEvent(payload);
    expect(notice).toMatchObject({ tenantId: 'acme', runId: 'run_1', seq: 4, detail: { gateId: 'g-1', type: 'approval' } });
    expect(linkedGate(notice)).toEqual({ kind: 'run', runId: 'run_1', gateId: 'g-1', gate: 'go' });
    // A schedule gate is nobody's to decide: no links.
    expect(linkedGate({ ...notice, detail: { gateId: 'g-2', type: 'schedule' } })).toBeUndefined();
  });
});

describe('textOf', () => {
  it('is one line a person reads, mrkdwn-escaped, with the links as Slack buttons would want them', () => {
    const text = textOf(
      {
        tenantId: 'acme',
        executionId: 'upg_1',
        seq: 3,
        type: 'RollbackRequested',
        at: 'now',
        actor: 'olga',
        detail: { reason: 'p99 <bad> & rising' },
      },
      undefined,
    );
    expect(text).toBe('Sluice: RollbackRequested, upgrade upg_1 (tenant acme) — p99 &lt;bad&gt; &amp; rising — by olga');
    expect(
      textOf(
        { tenantId: 't', runId: 'run_1', seq: 1, type: 'GateWaiting', at: 'now', detail: { gate: 'go' } },
        { approve: 'https://a', reject: 'https://r' },
      ),
    ).toContain('<https://a|Approve> · <https://r|Reject>');
  });
});

describe('parseNotifyTypes', () => {
  it('defaults to gate waits, completions, failures and rollbacks; * is every type; an unknown one is named', () => {
    expect([...parseNotifyTypes(undefined)]).toEqual([...DEFAULT_NOTIFY_TYPES]);
    expect([...parseNotifyTypes(' GateWaiting , UpgradeFailed ')]).toEqual(['GateWaiting', 'UpgradeFailed']);
    expect(parseNotifyTypes('*').has('BatchCompleted')).toBe(true);
    expect(() => parseNotifyTypes('GateWaiting,Typo')).toThrow(/Typo/);
  });
});
