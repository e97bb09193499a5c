import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeRuntime, runReadmeBlock } from '../support/readme.js';

let readme: Awaited<ReturnType<typeof readmeRuntime>>;
beforeAll(async () => {
  readme = await readmeRuntime('sluice-walkthrough');
});
afterAll(() => readme?.stop());

describe('the README walkthrough', () => {
  it('runs as written and shows what the README says it shows', async () => {
    const { stdout } = await runReadmeBlock('walkthrough', readme, 60_000);
    const lines = stdout.trim().split('\n');
    const versions = JSON.parse(lines[0] ?? '');
    expect(versions.items.map((item: { version: string }) => item.version)).toEqual(['16.2.0', '16.1.0']);
    expect(versions.nextToken).toBeDefined();
    expect(JSON.parse(lines[1] ?? '')).toMatchObject({ allowed: true, blockers: [] });
    const skip = JSON.parse(lines[2] ?? '');
    expect(skip).toMatchObject({ allowed: false, blockers: [{ code: 'MINOR_SKIP' }] });
    expect(skip.blockers[0].reason).toContain('16.1.0');
    expect(JSON.parse(lines[3] ?? '')).toMatchObject({
      name: 'orders-db',
      version: '16.0.0',
      instances: [{ id: 'i-1' }, { id: 'i-2' }, { id: 'i-3' }],
    });
    expect(lines[4]).toBe('stable');
    const problem = JSON.parse(lines[5] ?? '');
    expect(problem).toMatchObject({ status: 422, errors: [{ field: 'body.version' }] });
    expect(lines[6]).toBe('VALIDATING');
    expect(lines[7]).toBe('COMPLETED');
    const timeline = (lines[8] ?? '').split(' ');
    expect(timeline[0]).toBe('UpgradeCreated');
    expect(timeline.filter((type) => type === 'BatchCompleted')).toHaveLength(2);
    expect(timeline.at(-1)).toBe('UpgradeCompleted');
  });
});
