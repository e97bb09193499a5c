import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { firstLoad } from '../console/build.js';
import { loadOrCreateDevKey, signDevToken } from '../local/dev-auth.js';
import { freePort } from '../local/dynamodb-local.js';
import { launchBrowser } from '../test/support/browser.js';
import { waitForHealth } from './api-bench.js';
import { percentile } from './stats.js';

export interface ConsoleBenchFigures {
  /** The page, its script and its style, gzipped: what a browser fetches before the first render. */
  readonly firstLoadGzipKb: number;
  readonly firstLoadKb: number;
  readonly renders: number;
  /** From `goto` of `/console/#/upgrades/{id}` in a new browser context (empty cache) to the upgrade's status and instances drawn. */
  readonly renderP50Ms: number;
  readonly renderP95Ms: number;
  /** The page's own clock: from its navigation start to the first instance cell in the DOM. */
  readonly navigationP50Ms: number;
  readonly navigationP95Ms: number;
  /** The same run's baseline: one `GET …/upgrades/{id}` from Node, the first call the view makes. */
  readonly getUpgradeP50Ms: number;
  readonly gates: number;
  /** From another client's approve call to the page no longer showing the waiting gate (a MutationObserver's clock). */
  readonly gateP50Ms: number;
  readonly gateMaxMs: number;
  /** The same run's baseline: a Node client long-polling the upgrade's events feed, from the approve call to its answer. */
  readonly feedP50Ms: number;
}

const ROOT = join(import.meta.dirname, '..');

/** Run in the page (as a script, this project's Node types have no DOM): the moment the waiting gate leaves the page, on Date.now()'s clock. */
const WATCH_GATE = `new MutationObserver((changes, observer) => {
  if (!document.querySelector('.gate')) { globalThis.gateGoneAt = Date.now(); observer.disconnect(); }
}).observe(document.body, { childList: true, subtree: true })`;

/** Run in the page before its own scripts: the moment the first instance cell is drawn, in ms since navigation start. */
const WATCH_RENDER = `new MutationObserver((changes, observer) => {
  if (document.querySelector('.grid .cell')) { globalThis.renderedAt = performance.now(); observer.disconnect(); }
}).observe(document, { childList: true, subtree: true })`;
const TENANT = 'console-bench';

/**
 * The console's figures on the local runtime as `npm start` runs it (its own process, time
 * 1000x faster so that a STAGED upgrade reaches its gate at once), in Debian's chromium:
 * the first load's size, the time to the first render of the upgrade view, and how long
 * a gate decision made by another client takes to show on a page that follows the
 * upgrade's events feed.
 */
export async function runConsoleBench({ renders = 15, gates = 8 } = {}): Promise<ConsoleBenchFigures> {
  const load = firstLoad();
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'local/main.ts'), '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'error', SLUICE_TIME_SCALE: '1000' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let browser: Browser | undefined;
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitForHealth(base);
    const key = await loadOrCreateDevKey();
    const admin = await signDevToken(key, { roles: ['platform-admin'], user: 'bench' });
    const operator = await signDevToken(key, { tenant: TENANT, roles: ['operator', 'viewer'], user: 'olga' });
    const approver = await signDevToken(key, { tenant: TENANT, roles: ['approver', 'viewer'], user: 'anna' });
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as Record<string, any>;
    };
    const tenant = `/v1/tenants/${TENANT}`;
    const component = await call('POST', '/v1/components', admin, { name: `console-bench-${Date.now()}` });
    for (const version of ['1.0.0', '1.1.0']) await call('POST', `/v1/components/${component.componentId}/versions`, admin, { version });
    const staged = async (name: string) => {
      await call('POST', `${tenant}/projects/p/services`, operator, {
        name,
        componentId: component.componentId,
        version: '1.0.0',
        instances: Array.from({ length: 8 }, (_, index) => ({ id: `i-${index}` })),
      });
      const upgrade = await call('POST', `${tenant}/upgrades`, operator, {
        project: 'p',
        service: name,
        toVersion: '1.1.0',
        strategy: 'STAGED',
        stages: [{ name: 'first', percentage: 50 }, { name: 'rest' }],
      });
      await call('POST', `${tenant}/upgrades/${upgrade.executionId}/start`, operator, {});
      for (;;) {
        const current = await call('GET', `${tenant}/upgrades/${upgrade.executionId}`, operator);
        if (current.waitingFor) return upgrade.executionId as string;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    browser = await launchBrowser();
    const open = async (token: string, hash: string): Promise<Page> => {
      const context = await browser!.newContext();
      // Signed in as the sign-in form leaves it: the token in the tab's session storage.
      await context.addInitScript(`sessionStorage.setItem('sluice.session', ${JSON.stringify(token)})`);
      await context.addInitScript(WATCH_RENDER);
      const page = await context.newPage();
      await page.goto(`${base}/console/${hash}`);
      return page;
    };

    // Time to first render: a new context each time, so nothing is cached.
    const shown = await staged('render');
    const renderTimes: number[] = [];
    const inPageTimes: number[] = [];
    const getTimes: number[] = [];
    for (let round = 0; round < renders + 2; round += 1) {
      const before = performance.now();
      await call('GET', `${tenant}/upgrades/${shown}`, approver);
      const got = performance.now() - before;
      const started = performance.now();
      const page = await open(approver, `#/upgrades/${shown}`);
      await page.locator('.summary .status').waitFor();
      await page.locator('.grid .cell').first().waitFor();
      const rendered = performance.now() - started;
      const inPage = await page.evaluate(() => (globalThis as unknown as { renderedAt: number }).renderedAt);
      await page.context().close();
      // The first two warm the runtime and the browser up.
      if (round >= 2) {
        renderTimes.push(rendered);
        inPageTimes.push(inPage);
        getTimes.push(got);
      }
    }

    // A gate decided by another client, seen by the page and by a Node client on the feed.
    const gateTimes: number[] = [];
    const feedTimes: number[] = [];
    for (let round = 0; round < gates; round += 1) {
      const executionId = await staged(`gate-${round}`);
      const page = await open(approver, `#/upgrades/${executionId}`);
      await page.locator('.gate').waitFor();
      await page.evaluate(WATCH_GATE);
      const { cursor } = await call('GET', `${tenant}/upgrades/${executionId}/events?limit=100`, approver);
      // Let the page's own long poll be held before the decision, as it is while a person looks at the gate.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const follower = call('GET', `${tenant}/upgrades/${executionId}/events?after=${cursor}&waitSeconds=10`, approver).then(() =>
        Date.now(),
      );
      const decided = Date.now();
      await call('POST', `${tenant}/upgrades/${executionId}/approve`, approver, { comment: 'bench' });
      const fed = await follower;
      await page.waitForFunction(() => (globalThis as unknown as { gateGoneAt?: number }).gateGoneAt !== undefined, undefined, {
        timeout: 30_000,
      });
      const gone = await page.evaluate(() => (globalThis as unknown as { gateGoneAt: number }).gateGoneAt);
      gateTimes.push(gone - decided);
      feedTimes.push(fed - decided);
      await page.context().close();
    }

    const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
    const round = (value: number) => Math.round(value * 10) / 10;
    return {
      firstLoadGzipKb: round(load.gzip / 1000),
      firstLoadKb: round(load.bytes / 1000),
      renders,
      renderP50Ms: round(percentile(sorted(renderTimes), 50)),
      renderP95Ms: round(percentile(sorted(renderTimes), 95)),
      navigationP50Ms: round(percentile(sorted(inPageTimes), 50)),
      navigationP95Ms: round(percentile(sorted(inPageTimes), 95)),
      getUpgradeP50Ms: round(percentile(sorted(getTimes), 50)),
      gates,
      gateP50Ms: round(percentile(sorted(gateTimes), 50)),
      gateMaxMs: round(Math.max(...gateTimes)),
      feedP50Ms: round(percentile(sorted(feedTimes), 50)),
    };
  } finally {
    await browser?.close();
    child.kill('SIGINT');
    await new Promise((done) => child.once('exit', done));
  }
}

/** The figures as the README quotes them. */
export function consoleBenchLines(f: ConsoleBenchFigures): string[] {
  return [
    `## The web console (chromium, local stack as npm start runs it)`,
    `  first load: ${f.firstLoadGzipKb} kB gzip (${f.firstLoadKb} kB raw), ${((f.firstLoadGzipKb / 250) * 100).toFixed(0)}% of the 250 kB target`,
    `  upgrade view, navigation start to the instance grid drawn, on the page's clock (${f.renders} new contexts, empty cache): p50 ${f.navigationP50Ms} ms, p95 ${f.navigationP95Ms} ms`,
    `    from Node's goto to status and instances visible: p50 ${f.renderP50Ms} ms, p95 ${f.renderP95Ms} ms`,
    `    one GET of the upgrade from Node (same run): p50 ${f.getUpgradeP50Ms} ms; page-clock p50 / GET p50: ${(f.navigationP50Ms / f.getUpgradeP50Ms).toFixed(1)}x`,
    `  a gate approved by another client, until the page shows it decided (${f.gates} rounds): p50 ${f.gateP50Ms} ms, max ${f.gateMaxMs} ms`,
    `    a Node long poll of the same feed (same run): p50 ${f.feedP50Ms} ms; page p50 / feed p50: ${(f.gateP50Ms / Math.max(f.feedP50Ms, 1)).toFixed(2)}x`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${consoleBenchLines(await runConsoleBench()).join('\n')}\n`);
}
