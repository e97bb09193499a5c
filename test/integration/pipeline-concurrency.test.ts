import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.js';
import { pipelineWorld } from '../support/pipeline.js';
import { createRandom } from '../support/random.js';
import { useSeed } from '../support/seed.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.stop());

describe('pipeline changes under concurrency', () => {
  it('creates 200 services and their steps concurrently in one tenant; racing creations never leave a cycle or a second source', async (context) => {
    const random = createRandom(await useSeed(context));
    const world = await pipelineWorld(api, ['1.0.0']);
    const names = Array.from({ length: 200 }, (_, index) => `s${index}`);
    await Promise.all(names.map((name) => world.service('p', name, { instances: [] })));

    // 100 pairs (s2k → s2k+1), each raced by its reverse (a cycle) and by a second source
    // for the same destination; plus 50 chains that race to grow past 3 services.
    const attempts: [string, string][] = [];
    for (let k = 0; k < 100; k += 1) {
      const a = `s${2 * k}`;
      const b = `s${2 * k + 1}`;
      const other = `s${(2 * k + 2) % 200}`;
      attempts.push([a, b], [b, a], [other, b]);
    }
    for (let k = 0; k < 50; k += 1) attempts.push([`s${2 * k + 1}`, `s${2 * k + 100}`]);
    const shuffled = random.shuffle(attempts);
    const started = Date.now();
    const results = await Promise.all(
      shuffled.map(async ([source, destination]) => ({
        source,
        destination,
        status: (await world.step(`p/${source}`, `p/${destination}`)).status,
      })),
    );
    const elapsed = Date.now() - started;

    expect(
      results.every((result) => [201, 409, 422].includes(result.status)),
      JSON.stringify(results.filter((r) => ![201, 409, 422].includes(r.status))),
    ).toBe(true);
    const steps: any[] = [];
    let next: string | undefined;
    do {
      const page = await api.request('GET', `${world.base}/upgrade-pipeline/steps?limit=100${next ? `&nextToken=${next}` : ''}`, {
        token: world.viewer,
      });
      steps.push(...page.body.items);
      next = page.body.nextToken;
    } while (next);
    expect(steps.length).toBe(results.filter((result) => result.status === 201).length);
    expect(steps.length).toBeGreaterThanOrEqual(100);

    // Exactly one source per destination.
    const sourceOf = new Map<string, string>();
    for (const step of steps) {
      expect(sourceOf.has(step.destinationServiceName), `second source for ${step.destinationServiceName}`).toBe(false);
      sourceOf.set(step.destinationServiceName, step.sourceServiceName);
    }
    // No cycle, and no chain longer than 3 services: walking up from any service ends within 2 steps.
    for (const service of names) {
      let current = service;
      let hops = 0;
      while (sourceOf.has(current)) {
        current = sourceOf.get(current) as string;
        hops += 1;
        expect(hops, `chain above ${service}`).toBeLessThanOrEqual(2);
      }
    }
    // The pipeline view agrees with the list.
    const view = await world.view();
    expect(view.steps).toHaveLength(steps.length);
    console.info(`pipeline concurrency: ${shuffled.length} racing step creations in ${elapsed} ms, ${steps.length} created`);
  }, 120_000);
});
