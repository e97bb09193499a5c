import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.js';
import { launchBrowser, screenshot, seriousViolations } from '../support/browser.js';
import { type FleetWorld, fleetWorld } from '../support/fleet.js';
import { type PipelineWorld, pipelineWorld } from '../support/pipeline.js';

/**
 * The web console in a real browser (Debian's chromium through playwright-core) against
 * the local runtime, served at /console under its own content security policy: sign-in
 * with a dev token, the pipeline graph, a STAGED upgrade followed live to its gate and
 * approved by a click, what a viewer is offered, escaping, accessibility (axe-core) and a
 * screenshot of each view (test-artifacts/console/).
 */
const XSS = '<img src=x onerror=alert(1)>';

let api: TestApi;
let browser: Browser;
let world: PipelineWorld;
let fleet: FleetWorld;
const contexts: BrowserContext[] = [];
/** Whatever the pages said went wrong: console errors (a refused policy shows there), page errors, dialogs. */
const troubles: string[] = [];

beforeAll(async () => {
  api = await startTestApi();
  browser = await launchBrowser();
  world = await pipelineWorld(api, ['1.0.0', '1.1.0', '1.2.0']);
  const four = { instances: ['i-0', 'i-1', 'i-2', 'i-3'].map((id) => ({ id })) };
  await world.service('dev', 'web', four);
  await world.service('staging', 'web');
  await world.service('prod', 'web');
  expect((await world.step('dev/web', 'staging/web', 1)).status).toBe(201);
  expect((await world.step('staging/web', 'prod/web', 3)).status).toBe(201);
  fleet = await fleetWorld(api);
  await fleet.services([{ name: 'one' }, { name: 'two' }]);
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await api?.stop();
});

let lastPage: Page | undefined;
afterEach(async (context) => {
  // A failed test leaves a picture of the page it was on, next to the views' screenshots.
  if (context.task.result?.state === 'fail' && lastPage && !lastPage.isClosed()) {
    await screenshot(lastPage, `failed-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => {});
  }
});

/** A new browser context (its own session storage) signed in with `token` on the console's page. */
async function signedIn(token: string, hash = ''): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // npm test runs every tier at once on two cores: waits get more room than Playwright's 30 s.
  context.setDefaultTimeout(60_000);
  contexts.push(context);
  const page = await context.newPage();
  page.on('console', (message) => {
    // A refused call (404, 409) is an answer the page shows; chromium also logs it as "Failed to load resource".
    if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text()))
      troubles.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => troubles.push(`page: ${error.message}`));
  page.on('dialog', (dialog) => {
    troubles.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  const answer = await page.goto(`${api.url}/console/${hash}`);
  expect(answer?.headers()['content-security-policy']).toContain("default-src 'self'");
  await page.getByLabel('Bearer token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  lastPage = page;
  return page;
}

async function expectAccessible(page: Page) {
  expect(await seriousViolations(page)).toEqual([]);
}

const buttons = async (page: Page) => (await page.getByRole('button').allTextContents()).map((text) => text.trim());

describe('the web console', { timeout: 180_000 }, () => {
  it('tells how to mint a token, and refuses text that is not one', async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${api.url}/console/`);
    await expect(page.getByText('npm run --silent token -- --tenant acme').count()).resolves.toBe(1);
    await page.getByLabel('Bearer token').fill('not a token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('three parts');
    await expectAccessible(page);
    await screenshot(page, 'sign-in');
  });

  it('is usable from the keyboard: sign in, move between views and act with Tab and Enter', async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${api.url}/console/#/pipeline`);
    await page.getByLabel('Bearer token').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.id)).toBe('token');
    await page.keyboard.insertText(world.approver);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator('svg .node').first().waitFor();
    // Focus is on the content; backwards from there: the way out, then the views.
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.id)).toBe('main');
    const focused: string[] = [];
    for (let step = 0; step < 6; step += 1) {
      await page.keyboard.press('Shift+Tab');
      focused.push(await page.evaluate(() => (globalThis as any).document.activeElement?.textContent?.trim() ?? ''));
    }
    expect(focused).toEqual(['Sign out', 'Update runs', 'Upgrades', 'Pipeline', 'Fleet', 'Skip to content']);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Update runs' }).waitFor();
  });

  it('draws the three-service pipeline with its two steps, and offers validation to an approver', async () => {
    const page = await signedIn(world.approver, '#/pipeline');
    await page.locator('svg .node').first().waitFor();
    expect(await page.locator('svg .node').count()).toBe(3);
    expect(await page.locator('svg .edge').count()).toBe(2);
    for (const points of await page
      .locator('svg .edge polyline')
      .evaluateAll((lines) => lines.map((line) => line.getAttribute('points')))) {
      expect(points?.split(' ').length).toBeGreaterThanOrEqual(2);
    }
    const names = await page.locator('svg .node .node-name').allTextContents();
    expect(names).toEqual(['web', 'web', 'web']);
    await expect(page.locator('svg .edge text').allTextContents()).resolves.toEqual(['1 day', '3 days']);
    // Left to right: dev, then staging, then prod.
    const placed = await page.locator('svg .node').evaluateAll((nodes) =>
      nodes.map((node) => ({
        project: node.querySelectorAll('text')[1]?.textContent?.split(' ')[0],
        x: Number(/translate\(([\d.]+)/.exec(node.getAttribute('transform') ?? '')?.[1]),
      })),
    );
    const x = (project: string) => placed.find((node) => node.project === project)?.x ?? Number.NaN;
    expect(x('dev')).toBeLessThan(x('staging'));
    expect(x('staging')).toBeLessThan(x('prod'));
    expect(await buttons(page)).toEqual(expect.arrayContaining(['Validate dev/web 1.0.0', 'Validate staging/web 1.0.0']));
    await expectAccessible(page);
    await screenshot(page, 'pipeline');

    // Validated from the page with a comment of markup: the step shows it, as text.
    await page.getByLabel('Comment').fill('<b>soaked a week</b>');
    await page.getByRole('button', { name: 'Validate dev/web 1.0.0' }).click();
    await page.getByText('1.0.0 by april').waitFor();
    await expect(page.locator('tbody tr', { hasText: 'dev/web' }).textContent()).resolves.toContain(': <b>soaked a week</b>');
    expect(await page.locator('tbody b').count()).toBe(0);
    const [dev] = (await world.view()).steps.filter((step: any) => step.sourceServiceName === 'web' && step.sourceProjectName === 'dev');
    expect(dev.lastValidation).toMatchObject({ version: '1.0.0', validatedByUser: 'april', comment: '<b>soaked a week</b>' });
  });

  let executionId: string;

  it('follows a STAGED upgrade to its gate without a reload; a viewer sees it without any action', async () => {
    const created = await world.upgrade('dev/web', '1.1.0', {
      strategy: 'STAGED',
      stages: [{ name: 'first', percentage: 50 }, { name: 'rest' }],
    });
    expect(created.status, created.text).toBe(201);
    executionId = created.body.executionId;

    const page = await signedIn(world.approver, `#/upgrades/${executionId}`);
    await page.getByText('PENDING', { exact: true }).first().waitFor();
    await page.evaluate(() => {
      (globalThis as any).stayed = true;
    });
    const started = await api.request('POST', `${world.base}/upgrades/${executionId}/start`, { token: world.operator, body: {} });
    expect(started.status, started.text).toBe(200);

    await page.getByRole('heading', { name: /Waiting for a decision/ }).waitFor({ timeout: 60_000 });
    expect(await page.locator('.grid .cell').count()).toBe(4);
    expect(await page.locator('.grid .cell.status-completed').count()).toBe(2);
    await expect(page.locator('.timeline').textContent()).resolves.toContain('GateWaiting');
    expect(await page.evaluate(() => (globalThis as any).stayed)).toBe(true);
    // An approver decides gates; starting, pausing and rolling back are an operator's.
    expect(await buttons(page)).toEqual(['Sign out', 'Approve', 'Reject']);
    await expectAccessible(page);

    const viewer = await signedIn(world.viewer, `#/upgrades/${executionId}`);
    await viewer.getByRole('heading', { name: /Waiting for a decision/ }).waitFor();
    expect(await buttons(viewer)).toEqual(['Sign out']);
    await expect(viewer.getByText('An approver decides this gate.').count()).resolves.toBe(1);
    await expectAccessible(viewer);
    await viewer.close();

    // Approved by a click with a comment, and COMPLETED shows up on the same page, followed from the events feed.
    await page.getByLabel('Comment').fill(XSS);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.locator('.summary .status-completed').waitFor({ timeout: 60_000 });
    expect(await page.evaluate(() => (globalThis as any).stayed)).toBe(true);
    expect(await page.locator('.grid .cell.status-completed').count()).toBe(4);
    await expect(page.locator('.timeline').textContent()).resolves.toContain('UpgradeCompleted');
    // The comment is text on the page, not markup: no <img> in the timeline, and no dialog opened.
    await expect(page.locator('.timeline').textContent()).resolves.toContain(`comment: ${XSS}`);
    expect(await page.locator('.timeline img').count()).toBe(0);
    expect(await buttons(page)).toEqual(['Sign out']);
    const execution = await world.execution(executionId);
    expect(execution.status).toBe('COMPLETED');
    const events = await world.events(executionId);
    expect(events.find((event: any) => event.type === 'GateApproved')).toMatchObject({ actor: 'april', detail: { comment: XSS } });
    await expectAccessible(page);
    await screenshot(page, 'upgrade');
  });

  it('shows a refused action with the problem’s detail, next to the button', async () => {
    // Olga started this upgrade; she approves gates too, but not her own (allowSelfApproval is off).
    const created = await world.upgrade('dev/web', '1.2.0', {
      strategy: 'STAGED',
      stages: [{ name: 'first', percentage: 50 }, { name: 'rest' }],
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.executionId as string;
    expect((await api.request('POST', `${world.base}/upgrades/${id}/start`, { token: world.operator, body: {} })).status).toBe(200);
    await world.until(
      () => world.execution(id),
      (execution) => execution.waitingFor !== undefined,
    );
    const olga = await api.token({ tenant: world.tenant, roles: ['operator', 'approver'], user: 'olga' });
    const page = await signedIn(olga, `#/upgrades/${id}`);
    await page.getByRole('heading', { name: /Waiting for a decision/ }).waitFor();
    expect(await buttons(page)).toEqual(['Sign out', 'Approve', 'Reject', 'Pause', 'Cancel', 'Roll back']);
    await page.getByRole('button', { name: 'Approve' }).click();
    const refused = await api.request('POST', `${world.base}/upgrades/${id}/approve`, { token: olga, body: {} });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    await expect(page.getByRole('alert').textContent()).resolves.toContain(refused.body.detail);
    expect((await world.execution(id)).waitingFor).toBeDefined();
    // Her Cancel is allowed: the page follows it to CANCELLED, and no action is left.
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('.summary .status-cancelled').waitFor({ timeout: 60_000 });
    expect(await buttons(page)).toEqual(['Sign out']);
  });

  it('lists upgrades filtered on the API’s side by status', async () => {
    const page = await signedIn(world.viewer, '#/upgrades');
    await page.getByRole('link', { name: 'dev/web' }).first().waitFor();
    expect(await page.locator('tbody tr').count()).toBe(2);
    await page.getByLabel('Status').selectOption('COMPLETED');
    await page.locator('tbody tr').first().waitFor();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await expect(page.locator('tbody').textContent()).resolves.toContain('dev/web');
    expect(page.url()).toContain('status=COMPLETED');
    await page.getByLabel('Status').selectOption('CANCELLED');
    await expect.poll(() => page.locator('tbody').textContent()).toContain('CANCELLED');
    expect(await page.locator('tbody tr').count()).toBe(1);
    await page.getByLabel('Status').selectOption('FAILED');
    await page.getByText('No upgrade matches.').waitFor();
    await expectAccessible(page);
    await screenshot(page, 'upgrades');
  });

  it('pauses, resumes and rolls back with a reason from the page, each followed live', async () => {
    await world.service('solo', 'api', { instances: ['i-0', 'i-1', 'i-2', 'i-3'].map((id) => ({ id })) });
    const created = await world.upgrade('solo/api', '1.1.0', {
      strategy: 'STAGED',
      stages: [{ name: 'first', percentage: 50 }, { name: 'rest' }],
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.executionId as string;
    const page = await signedIn(world.operator, `#/upgrades/${id}`);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('heading', { name: /Waiting for a decision/ }).waitFor();
    // An operator does not decide gates: no Approve here, and the gate says who does.
    expect(await buttons(page)).toEqual(['Sign out', 'Pause', 'Cancel', 'Roll back']);
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.locator('.summary .status-paused').waitFor();
    expect(await buttons(page)).toEqual(['Sign out', 'Resume', 'Cancel']);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('.summary .status-in-progress').waitFor();
    // Rolling back needs a reason: the button waits for one.
    await expect(page.getByRole('button', { name: 'Roll back' }).isDisabled()).resolves.toBe(true);
    await page.getByLabel('Rollback reason').fill('error rate up on i-0');
    await page.getByRole('button', { name: 'Roll back' }).click();
    await page.locator('.summary .status-rolled-back').waitFor();
    await expect(page.locator('.timeline').textContent()).resolves.toContain('reason: error rate up on i-0');
    const events = await world.events(id);
    expect(events.map((event: any) => event.type)).toEqual(
      expect.arrayContaining(['UpgradePaused', 'UpgradeResumed', 'RollbackRequested', 'UpgradeRolledBack']),
    );
    expect(events.find((event: any) => event.type === 'RollbackRequested')).toMatchObject({ actor: 'olga' });
  });

  it('shows the fleet: services by version, compliance bars and the laggards, as the API counts them', async () => {
    const compliance = await api.request('GET', `${world.base}/compliance?componentId=${world.componentId}`, { token: world.viewer });
    expect(compliance.status).toBe(200);
    const { services, instances, byVersion, laggards } = compliance.body;
    const page = await signedIn(world.viewer, '#/fleet');
    await page.locator('.component meter').first().waitFor();
    const text = await page.locator('.component').textContent();
    expect(text).toContain(`Services on 1.2.0 or newer: ${services.compliant} of ${services.total} (${services.percent}%)`);
    expect(text).toContain(`Instances: ${instances.compliant} of ${instances.total} (${instances.percent}%)`);
    expect(await page.locator('.component meter').evaluateAll((meters) => meters.map((meter) => (meter as any).value))).toEqual([
      services.percent,
      instances.percent,
    ]);
    const versions = Object.keys(byVersion);
    expect(versions.length).toBeGreaterThanOrEqual(2);
    expect(await page.locator('.component thead th').allTextContents()).toEqual(
      versions.sort((a, b) => b.localeCompare(a, undefined, { numeric: true })),
    );
    expect(laggards.length).toBeGreaterThan(0);
    for (const laggard of laggards)
      expect(text).toContain(`${laggard.project}/${laggard.service} on ${laggard.version}: ${laggard.reason}`);
    await expectAccessible(page);
    await screenshot(page, 'fleet');
  });

  it('follows an update run through its stages and approves its gate by a click', async () => {
    const ref = (name: string) => ({ project: 'p', name });
    const created = await fleet.createRun({
      name: 'spring rollout',
      stages: [
        { name: 'first', groups: [{ name: 'g', services: [ref('one')] }], afterGates: [{ type: 'approval', name: 'check' }] },
        { name: 'second', groups: [{ name: 'g', services: [ref('two')] }] },
      ],
    });
    expect(created.status, created.text).toBe(201);
    const runId = created.body.runId as string;
    const page = await signedIn(fleet.approver, `#/runs/${runId}`);
    await page.getByRole('heading', { name: /spring rollout/ }).waitFor();
    expect((await fleet.act(runId, 'start')).status).toBe(200);
    await page.getByRole('button', { name: 'Approve' }).waitFor({ timeout: 60_000 });
    await expect(page.locator('.stages').textContent()).resolves.toContain('Approval gate check');
    await expectAccessible(page);
    await screenshot(page, 'run');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.locator('.summary .status-completed').waitFor({ timeout: 60_000 });
    expect((await fleet.run(runId)).status).toBe('COMPLETED');

    await page.getByRole('link', { name: 'Update runs' }).click();
    await page.getByRole('link', { name: 'spring rollout' }).waitFor();
    await expectAccessible(page);
    await screenshot(page, 'runs');
  });

  it('renders what a URL carries as text: an upgrade id of markup is a 404 detail, not an element', async () => {
    const page = await signedIn(world.viewer, `#/upgrades/${encodeURIComponent(XSS)}`);
    await page.getByRole('alert').waitFor();
    expect(await page.locator('main img').count()).toBe(0);
  });

  it('met no error, refused policy or dialog on any page', () => {
    expect(troubles).toEqual([]);
  });
});
