/**
 * `sluice --query PATH` (cli/output.ts `select`, `renderSelection`): one field of an API
 * answer, printed so that a shell can take it (`UPGRADE=$(sluice … --query executionId)`).
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/errors.js';
import { main } from '../../cli/main.js';
import { renderSelection, select } from '../../cli/output.js';

const upgrade = { executionId: 'upg_1', status: 'PENDING', progress: { total: 3, completed: 0 }, preChecks: [] };
const events = {
  items: [
    { type: 'UpgradeCreated', actor: 'olga', detail: { batches: 2 } },
    { type: 'BatchStarted', detail: { batch: 0 } },
  ],
  cursor: 'c1',
};

const refusal = (value: unknown, path: string) => {
  try {
    select(value, path);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`--query ${path} selected something`);
};

describe('--query', () => {
  it('selects a field, a nested field, a field of every item, an item by its number', () => {
    expect(select(upgrade, 'executionId')).toBe('upg_1');
    expect(select(upgrade, 'progress.completed')).toBe(0);
    expect(select(events, 'items.type')).toEqual(['UpgradeCreated', 'BatchStarted']);
    expect(select(events, 'items.actor')).toEqual(['olga']);
    expect(select(events, 'items.detail.batch')).toEqual([0]);
    expect(select(events, 'items.1.type')).toBe('BatchStarted');
    expect(select(upgrade, 'preChecks.name')).toEqual([]);
  });

  it('refuses a path that names nothing, with the fields there are', () => {
    expect(refusal(upgrade, 'executionID')).toBe(
      '--query executionID: the answer has no executionID (fields there: executionId, status, progress, preChecks)',
    );
    expect(refusal(upgrade, 'progress.done')).toBe(
      '--query progress.done: the answer has no progress.done (fields there: total, completed)',
    );
    expect(refusal(events, 'items.tpye')).toMatch(
      /^--query items.tpye: the answer has no items.tpye \(fields there: type, actor, detail\)$/,
    );
    expect(refusal(events, 'items.7.type')).toBe('--query items.7.type: the answer has no items.7 (a list of 2)');
    expect(refusal(upgrade, 'status.code')).toBe('--query status.code: the answer has no status.code');
  });

  it('prints a value bare and a list of values a line each; objects as tables; JSON or YAML when asked', () => {
    expect(renderSelection('upg_1', 'table')).toBe('upg_1');
    expect(renderSelection(['UpgradeCreated', 'BatchStarted'], 'table')).toBe('UpgradeCreated\nBatchStarted');
    expect(renderSelection([], 'table')).toBe('');
    expect(renderSelection({ total: 3, completed: 0 }, 'table')).toMatch(/^total: +3\ncompleted: +0$/);
    expect(renderSelection('upg_1', 'json')).toBe('"upg_1"');
    expect(renderSelection(['a', 'b'], 'yaml')).toBe('- a\n- b');
  });

  it('is a usage error (exit 2, one line, before any call) when malformed or given to a command without an API answer', async () => {
    for (const args of [
      ['--query', 'items[0].type', 'upgrade', 'list'],
      ['--query', 'a..b', 'upgrade', 'list'],
      ['--query', 'status', 'upgrade', 'watch', 'upg_1'],
      ['upgrade-pipeline', 'show', '--query', 'steps'],
    ]) {
      const stderr: string[] = [];
      // Port 9 (discard) answers nothing: exit 2 means the CLI stopped before calling.
      const code = await main(['--endpoint', 'http://127.0.0.1:9', '--token', 'x', ...args], (text) => stderr.push(text));
      expect(code, args.join(' ')).toBe(2);
      expect(stderr.join('').trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });
});
