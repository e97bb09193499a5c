import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.js';
import { seedComponent } from '../support/fixtures.js';
import { type PipelineWorld, pipelineWorld, TERMINAL } from '../support/pipeline.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.stop());

const problemOf = (response: { status: number; headers: Headers; body: any }) => {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return response.body;
};

/** dev-project/dev → staging-project/staging → prod-project/prod, as in the Aiven guide. */
async function chain(world: PipelineWorld, body: Record<string, unknown> = {}) {
  await world.service('dev-project', 'dev', body);
  await world.service('staging-project', 'staging', body);
  await world.service('prod-project', 'prod', body);
  const first = await world.step('dev-project/dev', 'staging-project/staging', 3);
  const second = await world.step('staging-project/staging', 'prod-project/prod');
  expect(first.status).toBe(201);
  expect(second.status).toBe(201);
  return { first: first.body, second: second.body };
}

describe('the local runtime', () => {
  it('reports the embedded scheduler among the /health endpoints', async () => {
    const health = await api.request('GET', '/health');
    expect(health.body.endpoints).toMatchObject({ scheduler: api.runtime.endpoints.scheduler });
    expect(health.body.endpoints.scheduler).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe('upgrade steps: create, list, get, patch, delete', () => {
  it('creates a step between services of different projects, with the default delay of 7 days', async () => {
    const world = await pipelineWorld(api);
    await world.service('dev-project', 'pg-dev');
    await world.service('prod-project', 'pg-prod');
    const created = await world.step('dev-project/pg-dev', 'prod-project/pg-prod');
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      stepId: expect.stringMatching(/^stp_/),
      sourceProjectName: 'dev-project',
      sourceServiceName: 'pg-dev',
      destinationProjectName: 'prod-project',
      destinationServiceName: 'pg-prod',
      autoValidationDelayDays: 7,
      createdAt: expect.any(String),
    });
    const got = await api.request('GET', `${world.base}/upgrade-pipeline/steps/${created.body.stepId}`, { token: world.viewer });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
  });

  it('lists steps in pages of `limit` with an opaque nextToken', async () => {
    const world = await pipelineWorld(api);
    for (const name of ['a', 'b', 'c', 'd', 'e']) await world.service('p', name);
    for (const [source, destination] of [
      ['a', 'b'],
      ['a', 'c'],
      ['d', 'e'],
    ])
      expect((await world.step(`p/${source}`, `p/${destination}`)).status).toBe(201);
    const first = await api.request('GET', `${world.base}/upgrade-pipeline/steps?limit=2`, { token: world.viewer });
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextToken).toEqual(expect.any(String));
    const second = await api.request('GET', `${world.base}/upgrade-pipeline/steps?limit=2&nextToken=${first.body.nextToken}`, {
      token: world.viewer,
    });
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextToken).toBeUndefined();
    const pairs = [...first.body.items, ...second.body.items].map(
      (step: any) => `${step.sourceServiceName}>${step.destinationServiceName}`,
    );
    expect(pairs.sort()).toEqual(['a>b', 'a>c', 'd>e']);
    const foreign = await api.request('GET', `${world.base}/upgrade-pipeline/steps?nextToken=bm90LWEtdG9rZW4`, { token: world.viewer });
    expect(foreign.status).toBe(400);
  });

  it('changes only the delay; any other field answers 422 naming the immutable field', async () => {
    const world = await pipelineWorld(api);
    await world.service('p', 'src');
    await world.service('p', 'dst');
    const { stepId } = (await world.step('p/src', 'p/dst')).body;
    const path = `${world.base}/upgrade-pipeline/steps/${stepId}`;
    const patched = await api.request('PATCH', path, { token: world.operator, body: { autoValidationDelayDays: 14 } });
    expect(patched.status).toBe(200);
    expect(patched.body.autoValidationDelayDays).toBe(14);
    for (const field of ['sourceProjectName', 'sourceServiceName', 'destinationProjectName', 'destinationServiceName']) {
      const refused = await api.request('PATCH', path, { token: world.operator, body: { autoValidationDelayDays: 3, [field]: 'other' } });
      expect(refused.status).toBe(422);
      const problem = problemOf(refused);
      expect(problem.errors).toEqual([expect.objectContaining({ field: `body.${field}`, message: expect.stringContaining('immutable') })]);
    }
    for (const days of [0, 31, 2.5]) {
      const refused = await api.request('PATCH', path, { token: world.operator, body: { autoValidationDelayDays: days } });
      expect(refused.status).toBe(422);
      expect(problemOf(refused).errors[0].field).toBe('body.autoValidationDelayDays');
    }
    expect((await api.request('GET', path, { token: world.viewer })).body.autoValidationDelayDays).toBe(14);
    expect(
      (
        await api.request('PATCH', `${world.base}/upgrade-pipeline/steps/stp_0000000000000`, {
          token: world.operator,
          body: { autoValidationDelayDays: 3 },
        })
      ).status,
    ).toBe(404);
  });

  it('deletes a step with its validations; the destination is no longer capped; a second delete is 404', async () => {
    const world = await pipelineWorld(api);
    await world.service('p', 'src');
    await world.service('p', 'dst');
    const { stepId } = (await world.step('p/src', 'p/dst')).body;
    expect((await world.validate('p/src', 'fine')).status).toBe(200);
    expect((await world.getService('p/dst')).validatedVersion).toBe('1.0.0');
    const path = `${world.base}/upgrade-pipeline/steps/${stepId}`;
    expect((await api.request('DELETE', path, { token: world.operator })).status).toBe(204);
    expect((await api.request('GET', path, { token: world.viewer })).status).toBe(404);
    expect((await api.request('DELETE', path, { token: world.operator })).status).toBe(404);
    expect((await world.getService('p/dst')).validatedVersion).toBeUndefined();
    expect((await world.upgrade('p/dst', '1.0.1')).status).toBe(201);
    // Re-created, the step starts without the old validation.
    const again = await world.step('p/src', 'p/dst');
    expect(again.status).toBe(201);
    expect(again.body.lastValidation).toBeUndefined();
  });
});

describe('upgrade steps: refusals (problem+json)', () => {
  it('answers 422 for services of different components', async () => {
    const world = await pipelineWorld(api);
    const other = await seedComponent(api, ['1.0.0']);
    await world.service('p', 'pg');
    await world.service('p', 'kafka', { componentId: other.componentId });
    const refused = await world.step('p/pg', 'p/kafka');
    expect(refused.status).toBe(422);
    expect(problemOf(refused)).toMatchObject({ status: 422, errors: [{ code: 'DIFFERENT_COMPONENTS' }] });
  });

  it('answers 409 when the destination already has a source (also for the very same step twice)', async () => {
    const world = await pipelineWorld(api);
    for (const name of ['a', 'b', 'c']) await world.service('p', name);
    const first = await world.step('p/a', 'p/c');
    expect(first.status).toBe(201);
    const second = await world.step('p/b', 'p/c');
    expect(second.status).toBe(409);
    expect(problemOf(second)).toMatchObject({ status: 409, stepId: first.body.stepId, errors: [{ code: 'DESTINATION_HAS_SOURCE' }] });
    expect((await world.step('p/a', 'p/c')).status).toBe(409);
    // A source may have many destinations.
    expect((await world.step('p/a', 'p/b')).status).toBe(201);
  });

  it('answers 422 for a cycle, including a service as its own source', async () => {
    const world = await pipelineWorld(api);
    for (const name of ['a', 'b']) await world.service('p', name);
    expect((await world.step('p/a', 'p/b')).status).toBe(201);
    const cycle = await world.step('p/b', 'p/a');
    expect(cycle.status).toBe(422);
    expect(problemOf(cycle).errors[0].code).toBe('CYCLE');
    const self = await world.step('p/a', 'p/a');
    expect(self.status).toBe(422);
    expect(problemOf(self).errors[0].code).toBe('SAME_SERVICE');
  });

  it('answers 422 for a chain longer than 3 services, at either end', async () => {
    const world = await pipelineWorld(api);
    for (const name of ['a', 'b', 'c', 'd', 'x']) await world.service('p', name);
    expect((await world.step('p/a', 'p/b')).status).toBe(201);
    expect((await world.step('p/b', 'p/c')).status).toBe(201);
    const below = await world.step('p/c', 'p/d');
    expect(below.status).toBe(422);
    expect(problemOf(below)).toMatchObject({ errors: [{ code: 'CHAIN_TOO_LONG' }] });
    expect(problemOf(below).detail).toContain('4 services');
    expect((await world.step('p/x', 'p/a')).status).toBe(422);
    // A second branch of the same depth is fine: b → d makes a → b → d.
    expect((await world.step('p/b', 'p/d')).status).toBe(201);
  });

  it('answers 422 for a delay outside 1–30 days', async () => {
    const world = await pipelineWorld(api);
    for (const name of ['a', 'b']) await world.service('p', name);
    for (const days of [0, 31, -1, 1.5]) {
      const refused = await world.step('p/a', 'p/b', days);
      expect(refused.status).toBe(422);
      expect(problemOf(refused).errors[0].field).toBe('body.autoValidationDelayDays');
    }
    expect((await world.step('p/a', 'p/b', 30)).status).toBe(201);
  });

  it('answers 404 for unknown services, naming which one', async () => {
    const world = await pipelineWorld(api);
    await world.service('p', 'real');
    const source = await world.step('p/ghost', 'p/real');
    expect(source.status).toBe(404);
    expect(problemOf(source).detail).toContain('source service p/ghost');
    const destination = await world.step('p/real', 'other/ghost');
    expect(destination.status).toBe(404);
    expect(problemOf(destination).detail).toContain('destination service other/ghost');
  });
});

describe('validation', () => {
  it('validates the source version once for every destination, and shows it as lastValidation', async () => {
    const world = await pipelineWorld(api);
    for (const name of ['dev', 'eu', 'na']) await world.service('p', name);
    const eu = (await world.step('p/dev', 'p/eu')).body;
    const na = (await world.step('p/dev', 'p/na')).body;
    const validated = await world.validate('p/dev', 'Tested and verified in development');
    expect(validated.status).toBe(200);
    expect(validated.body).toMatchObject({
      project: 'p',
      service: 'dev',
      version: '1.0.0',
      validatedByUser: 'april',
      comment: 'Tested and verified in development',
    });
    expect(validated.body.stepIds.sort()).toEqual([eu.stepId, na.stepId].sort());
    for (const stepId of [eu.stepId, na.stepId]) {
      const step = await api.request('GET', `${world.base}/upgrade-pipeline/steps/${stepId}`, { token: world.viewer });
      expect(step.body.lastValidation).toEqual({
        version: '1.0.0',
        validatedAt: validated.body.validatedAt,
        validatedByUser: 'april',
        comment: 'Tested and verified in development',
      });
    }
  });

  it('refuses a powered-off source (409) and a service that is no source (409), and needs the approver role', async () => {
    const world = await pipelineWorld(api);
    for (const name of ['src', 'dst']) await world.service('p', name);
    await world.step('p/src', 'p/dst');
    expect((await world.validate('p/src', undefined, world.operator)).status).toBe(403);
    expect((await world.patchService('p/src', { powered: false })).status).toBe(200);
    const off = await world.validate('p/src');
    expect(off.status).toBe(409);
    expect(problemOf(off).detail).toContain('powered off');
    const notSource = await world.validate('p/dst');
    expect(notSource.status).toBe(409);
    expect((await world.validate('p/missing')).status).toBe(404);
  });
});

describe('ceilings', () => {
  it('starts a destination at the newest version it runs, and refuses upgrades above it (422 naming the ceiling)', async () => {
    const world = await pipelineWorld(api);
    await chain(world);
    expect((await world.getService('staging-project/staging')).validatedVersion).toBe('1.0.0');
    const refused = await world.upgrade('staging-project/staging', '1.0.1');
    expect(refused.status).toBe(422);
    const problem = problemOf(refused);
    expect(problem).toMatchObject({ ceiling: '1.0.0', errors: [{ field: 'body.toVersion', code: 'ABOVE_VALIDATED_VERSION' }] });
    expect(problem.detail).toContain('1.0.0');
    // The source itself is not capped.
    expect((await world.upgrade('dev-project/dev', '1.0.1')).status).toBe(201);
  });

  it('starts a destination that is mid-upgrade at the in-progress target version', async () => {
    const world = await pipelineWorld(api);
    await world.service('p', 'src');
    await world.service('p', 'busy');
    // Two batches a day apart (86 s at the test's time scale): still under way when the step is made.
    const created = await world.upgrade('p/busy', '1.0.1', { batchSize: 1, batchDelaySeconds: 86_400, healthCheckIntervalSeconds: 1 });
    expect(created.status).toBe(201);
    const id = created.body.executionId;
    expect((await api.request('POST', `${world.base}/upgrades/${id}/start`, { token: world.operator })).status).toBe(200);
    await world.until(
      () => world.execution(id),
      (execution) => execution.completedBatches === 1,
    );
    expect((await world.step('p/src', 'p/busy')).status).toBe(201);
    expect((await world.getService('p/busy')).validatedVersion).toBe('1.0.1');
    expect((await api.request('POST', `${world.base}/upgrades/${id}/cancel`, { token: world.operator })).status).toBe(200);
  });

  it('pins a destination whose upgrade was created but never started to the version it runs', async () => {
    const world = await pipelineWorld(api);
    await world.service('p', 'src');
    await world.service('p', 'idle');
    const pending = await world.upgrade('p/idle', '1.0.1');
    expect(pending.status).toBe(201);
    expect((await world.step('p/src', 'p/idle')).status).toBe(201);
    expect((await world.getService('p/idle')).validatedVersion).toBe('1.0.0');
    // Cancelled, the PENDING upgrade leaves nothing behind that would let 1.0.1 through unvalidated.
    expect((await api.request('POST', `${world.base}/upgrades/${pending.body.executionId}/cancel`, { token: world.operator })).status).toBe(
      200,
    );
    const again = await world.upgrade('p/idle', '1.0.1');
    expect(again.status).toBe(422);
    expect(problemOf(again)).toMatchObject({ ceiling: '1.0.0', errors: [{ field: 'body.toVersion', code: 'ABOVE_VALIDATED_VERSION' }] });
  });

  it('lets a version flagged security through before validation and records the override in the timeline', async () => {
    const world = await pipelineWorld(api);
    await chain(world);
    const published = await api.request('POST', `/v1/components/${world.componentId}/versions`, {
      token: world.admin,
      body: { version: '1.0.2', security: true },
    });
    expect(published.status).toBe(201);
    const created = await world.upgrade('staging-project/staging', '1.0.2');
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const override = (await world.events(created.body.executionId)).find((event) => event.type === 'SecurityOverride');
    expect(override).toMatchObject({ actor: 'olga', detail: { ceiling: '1.0.0', toVersion: '1.0.2' } });
  });

  it('does not cap a destination whose upstream services are all powered off', async () => {
    const world = await pipelineWorld(api);
    await chain(world);
    expect((await world.upgrade('prod-project/prod', '1.0.1')).status).toBe(422);
    // Only dev off: staging still holds prod back.
    await world.patchService('dev-project/dev', { powered: false });
    expect((await world.upgrade('prod-project/prod', '1.0.1')).status).toBe(422);
    // Staging is no longer held by anyone powered on.
    const staging = await world.upgrade('staging-project/staging', '1.0.1');
    expect(staging.status).toBe(201);
    await world.patchService('staging-project/staging', { powered: false });
    const prod = await world.upgrade('prod-project/prod', '1.0.1');
    expect(prod.status).toBe(201);
    expect((await world.events(prod.body.executionId)).map((event) => event.type)).toContain('CeilingNotEnforced');
    const view = await world.view();
    expect(view.services.find((s: any) => s.name === 'prod')).toMatchObject({ ceiling: '1.0.0', ceilingEnforced: false });
  });

  it('keeps a destination on its ceiling when instances are added or replaced', async () => {
    const world = await pipelineWorld(api);
    await chain(world);
    const patched = await world.patchService('staging-project/staging', { instances: [{ id: 'i-0' }, { id: 'i-new' }] });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ version: '1.0.0', validatedVersion: '1.0.0' });
    const view = await world.view();
    expect(view.services.find((s: any) => s.name === 'staging')).toMatchObject({
      version: '1.0.0',
      ceiling: '1.0.0',
      instanceVersion: '1.0.0',
    });
  });
});

describe('auto-validation schedules and the pipeline view', () => {
  it('schedules one auto-validation per outgoing step when the source completes an upgrade; manual validation removes them', async () => {
    const world = await pipelineWorld(api);
    await chain(world);
    await world.service('prod-project', 'prod-na');
    const { stepId: naStep } = (await world.step('staging-project/staging', 'prod-project/prod-na', 5)).body;
    await world.validate('dev-project/dev');
    // Staging can now go to 1.0.1 once dev runs and validates it; first dev upgrades.
    const dev = await world.upgrade('dev-project/dev', '1.0.1');
    await api.request('POST', `${world.base}/upgrades/${dev.body.executionId}/start`, { token: world.operator });
    await world.until(
      () => world.execution(dev.body.executionId),
      (execution) => TERMINAL.includes(execution.status),
    );
    const view = await world.until(
      () => world.view(),
      (graph) => graph.steps.some((step: any) => step.pendingValidation),
    );
    const devStep = view.steps.find((step: any) => step.sourceServiceName === 'dev');
    const completedAt = Date.parse((await world.execution(dev.body.executionId)).finishedAt);
    expect(devStep.pendingValidation.version).toBe('1.0.1');
    expect(Date.parse(devStep.pendingValidation.dueAt) - completedAt).toBeGreaterThanOrEqual(3 * 86_400_000);
    expect(Date.parse(devStep.pendingValidation.dueAt) - completedAt).toBeLessThan(3 * 86_400_000 + 2000);
    expect(view.services.find((s: any) => s.name === 'dev')).toMatchObject({ version: '1.0.1', pendingValidation: { version: '1.0.1' } });
    expect(await world.schedules(`val-${devStep.stepId}-`)).toEqual([`val-${devStep.stepId}-1.0.1`]);

    const validated = await world.validate('dev-project/dev', 'manual');
    expect(validated.status).toBe(200);
    expect(await world.schedules(`val-${devStep.stepId}-`)).toEqual([]);
    const after = await world.view();
    expect(after.steps.find((step: any) => step.stepId === devStep.stepId).pendingValidation).toBeUndefined();
    expect(after.services.find((s: any) => s.name === 'staging')).toMatchObject({ ceiling: '1.0.1', ceilingEnforced: true });
    expect(after.steps.map((step: any) => step.stepId)).toContain(naStep);
  });

  it('moves a pending auto-validation with the delay, and deleting a step removes its pending schedules', async () => {
    const world = await pipelineWorld(api);
    await world.service('p', 'src');
    await world.service('p', 'dst');
    const { stepId } = (await world.step('p/src', 'p/dst')).body;
    const src = await world.upgrade('p/src', '1.0.1');
    await api.request('POST', `${world.base}/upgrades/${src.body.executionId}/start`, { token: world.operator });
    await world.until(
      () => world.schedules(`val-${stepId}-`),
      (names) => names.length === 1,
    );
    // Changing the delay moves the pending auto-validation: completion + the new delay.
    const before = (await world.view()).steps[0].pendingValidation;
    const completedAt = Date.parse((await world.execution(src.body.executionId)).finishedAt);
    expect(Date.parse(before.dueAt) - completedAt).toBeGreaterThanOrEqual(7 * 86_400_000);
    expect(
      (
        await api.request('PATCH', `${world.base}/upgrade-pipeline/steps/${stepId}`, {
          token: world.operator,
          body: { autoValidationDelayDays: 10 },
        })
      ).status,
    ).toBe(200);
    const moved = (await world.view()).steps[0].pendingValidation;
    expect(Date.parse(moved.dueAt) - completedAt).toBeGreaterThanOrEqual(10 * 86_400_000);
    expect(Date.parse(moved.dueAt) - completedAt).toBeLessThan(10 * 86_400_000 + 2000);
    expect(await world.schedules(`val-${stepId}-`)).toEqual([`val-${stepId}-1.0.1`]);
    expect((await api.request('DELETE', `${world.base}/upgrade-pipeline/steps/${stepId}`, { token: world.operator })).status).toBe(204);
    expect(await world.schedules(`val-${stepId}-`)).toEqual([]);
  });

  it('draws the graph: every service with version, ceiling and pending validation, and every step', async () => {
    const world = await pipelineWorld(api);
    const { first, second } = await chain(world);
    const view = await world.view();
    expect(view.steps.map((step: any) => step.stepId).sort()).toEqual([first.stepId, second.stepId].sort());
    expect(view.services).toEqual([
      expect.objectContaining({
        project: 'dev-project',
        name: 'dev',
        version: '1.0.0',
        powered: true,
        ceilingEnforced: false,
        exists: true,
      }),
      expect.objectContaining({ project: 'prod-project', name: 'prod', version: '1.0.0', ceiling: '1.0.0', ceilingEnforced: true }),
      expect.objectContaining({ project: 'staging-project', name: 'staging', version: '1.0.0', ceiling: '1.0.0', ceilingEnforced: true }),
    ]);
    expect(view.services[0].ceiling).toBeUndefined();
    const empty = await pipelineWorld(api);
    expect(await empty.view()).toEqual({ services: [], steps: [] });
  });
});
