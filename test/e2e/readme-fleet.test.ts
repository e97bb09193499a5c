import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeRuntime, runReadmeBlock } from '../support/readme.js';

let readme: Awaited<ReturnType<typeof readmeRuntime>>;
beforeAll(async () => {
  readme = await readmeRuntime('sluice-fleet-walkthrough');
});
afterAll(() => readme?.stop());

describe("the README's fleet update run example", () => {
  it('runs as written and shows what the README says it shows', async () => {
    const { stdout, stderr } = await runReadmeBlock('fleet-walkthrough', readme, 120_000);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('nonprod-then-prod');
    expect(lines[1]).toMatch(
      /^nonprod: dev-cache from \d\d:\d\d:\d\d, test-cache from \d\d:\d\d:\d\d \| prod: cart-cache from \d\d:\d\d:\d\d, session-cache from \d\d:\d\d:\d\d$/,
    );
    const [cart, session] = [...(lines[1] ?? '').matchAll(/cache from (\d\d:\d\d:\d\d)/g)].slice(2).map((m) => m[1] ?? '');
    expect((session ?? '') > (cart ?? '')).toBe(true);
    expect(lines[2]).toBe('RUNNING');
    expect(lines[3]).toBe('waiting at gate-1');
    expect(lines[4]).toBe('APPROVED');
    expect(lines[5]).toBe('COMPLETED');
    const timeline = (lines[6] ?? '').split(' ');
    expect(timeline.slice(0, 3)).toEqual(['UpdateRunCreated', 'UpdateRunStarted', 'StageStarted']);
    expect(timeline).toEqual(expect.arrayContaining(['GateWaiting', 'GateApproved', 'StageCompleted']));
    expect(timeline.at(-1)).toBe('UpdateRunCompleted');
    expect(lines[7]).toBe('100% of services, 8/8 instances');
    // The watch printed progress as it went, ending at the waiting gate.
    const progress = stderr
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('nonprod'));
    expect(progress.at(-1)).toBe('nonprod CC, prod PP, prod gate WAITING');
  }, 150_000);
});
