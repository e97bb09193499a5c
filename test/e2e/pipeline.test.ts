import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.js';
import { pipelineWorld, TERMINAL } from '../support/pipeline.js';

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

let api: TestApi;
beforeAll(async () => {
  // A day passes in a second.
  api = await startTestApi({ timeScale: 86_400 });
});
afterAll(() => api.stop());

describe('an upgrade pipeline on the local runtime, time-scaled', () => {
  it('takes a release dev → staging (auto-validated after a day) → prod (manually validated, in its maintenance window)', async () => {
    const world = await pipelineWorld(api, ['1.0.0']);
    const tomorrow = new Date(Date.now() + 86_400_000);
    await world.service('dev-project', 'pg-dev');
    await world.service('staging-project', 'pg-staging', { autoUpgradeChannel: 'stable' });
    await world.service('prod-project', 'pg-prod', {
      autoUpgradeChannel: 'stable',
      defaultUpgrade: { strategy: 'RECREATE' },
      maintenanceWindow: { dayOfWeek: DAYS[tomorrow.getUTCDay()], startHour: tomorrow.getUTCHours(), durationHours: 2 },
    });
    const toStaging = (await world.step('dev-project/pg-dev', 'staging-project/pg-staging', 1)).body;
    const toProd = (await world.step('staging-project/pg-staging', 'prod-project/pg-prod', 30)).body;

    // A new version is released; dev is upgraded by hand.
    expect(
      (await api.request('POST', `/v1/components/${world.componentId}/versions`, { token: world.admin, body: { version: '1.1.0' } }))
        .status,
    ).toBe(201);
    expect((await world.upgrade('prod-project/pg-prod', '1.1.0')).status).toBe(422);
    const dev = await world.upgrade('dev-project/pg-dev', '1.1.0');
    expect(dev.status).toBe(201);
    await api.request('POST', `${world.base}/upgrades/${dev.body.executionId}/start`, { token: world.operator });
    expect(
      (
        await world.until(
          () => world.execution(dev.body.executionId),
          (e) => TERMINAL.includes(e.status),
        )
      ).status,
    ).toBe('COMPLETED');

    // After the 1-day delay dev's 1.1.0 is validated automatically, and staging (stable channel, no window) upgrades at once.
    const autoStep = await world.until(
      async () => (await api.request('GET', `${world.base}/upgrade-pipeline/steps/${toStaging.stepId}`, { token: world.viewer })).body,
      (step) => step.lastValidation !== undefined,
    );
    expect(autoStep.lastValidation).toMatchObject({ version: '1.1.0', validatedByUser: '' });
    const staging = await world.until(
      () => world.getService('staging-project/pg-staging'),
      (service) => service.version === '1.1.0',
    );
    expect(staging.validatedVersion).toBe('1.1.0');
    const stagingRun = (await world.executions()).find((e) => e.service === 'pg-staging');
    expect(stagingRun).toMatchObject({ status: 'COMPLETED', toVersion: '1.1.0', initiatedBy: 'sluice-pipeline' });
    expect(Date.parse(stagingRun.createdAt)).toBeGreaterThanOrEqual(Date.parse(autoStep.lastValidation.validatedAt));

    // Staging's completion schedules prod's auto-validation 30 days out; prod waits.
    const pending = await world.until(
      () => world.view(),
      (view) => view.steps.some((step: any) => step.stepId === toProd.stepId && step.pendingValidation),
    );
    expect(pending.services.find((s: any) => s.name === 'pg-staging').pendingValidation.version).toBe('1.1.0');
    expect((await world.getService('prod-project/pg-prod')).version).toBe('1.0.0');
    expect((await world.executions()).some((e) => e.service === 'pg-prod')).toBe(false);

    // A manual validation of staging releases prod, which upgrades in its next window with its default strategy.
    const validated = await world.validate('staging-project/pg-staging', 'Soaked in staging');
    expect(validated.status).toBe(200);
    expect(await world.schedules(`val-${toProd.stepId}-`)).toEqual([]);
    expect((await world.executions()).some((e) => e.service === 'pg-prod')).toBe(false);
    const prod = await world.until(
      () => world.getService('prod-project/pg-prod'),
      (service) => service.version === '1.1.0',
      30_000,
    );
    expect(prod.validatedVersion).toBe('1.1.0');
    const prodRuns = (await world.executions()).filter((e) => e.service === 'pg-prod');
    expect(prodRuns).toHaveLength(1);
    expect(prodRuns[0]).toMatchObject({ status: 'COMPLETED', strategy: 'RECREATE', toVersion: '1.1.0', initiatedBy: 'sluice-pipeline' });
    // Prod never ran a version before staging validated it.
    expect(Date.parse(prodRuns[0].createdAt)).toBeGreaterThanOrEqual(Date.parse(validated.body.validatedAt));

    const step = (await api.request('GET', `${world.base}/upgrade-pipeline/steps/${toProd.stepId}`, { token: world.viewer })).body;
    expect(step.lastValidation).toEqual({
      version: '1.1.0',
      validatedAt: validated.body.validatedAt,
      validatedByUser: 'april',
      comment: 'Soaked in staging',
    });
    const view = await world.view();
    expect(view.services.map((s: any) => [s.name, s.version, s.ceiling ?? null])).toEqual([
      ['pg-dev', '1.1.0', null],
      ['pg-prod', '1.1.0', '1.1.0'],
      ['pg-staging', '1.1.0', '1.1.0'],
    ]);
  }, 90_000);

  it('auto-validation always fires after the delay, even with nobody around (nothing blocks forever)', async () => {
    const world = await pipelineWorld(api, ['1.0.0', '1.0.1']);
    await world.service('p', 'src');
    await world.service('p', 'dst');
    const { stepId } = (await world.step('p/src', 'p/dst', 2)).body;
    const run = await world.upgrade('p/src', '1.0.1');
    await api.request('POST', `${world.base}/upgrades/${run.body.executionId}/start`, { token: world.operator });
    const step = await world.until(
      async () => (await api.request('GET', `${world.base}/upgrade-pipeline/steps/${stepId}`, { token: world.viewer })).body,
      (current) => current.lastValidation !== undefined,
    );
    expect(step.lastValidation).toMatchObject({ version: '1.0.1', validatedByUser: '', comment: 'Automatic validation after 2 day(s)' });
    // Channel none: the destination is released, not upgraded.
    expect(await world.getService('p/dst')).toMatchObject({ version: '1.0.0', validatedVersion: '1.0.1' });
    expect((await world.upgrade('p/dst', '1.0.1')).status).toBe(201);
  }, 60_000);
});
