/**
 * `npm run demo`: an upgrade pipeline on the local runtime, with a day passing every
 * second. dev → staging → prod for one component: a release, dev upgraded by hand,
 * dev's version validated automatically after its delay, staging upgraded by the
 * pipeline, a manual validation of staging, prod upgraded in its maintenance window.
 * Everything goes through the HTTP API, as a client would; it prints the timeline.
 */
import { generateDevKey, signDevToken } from './dev-auth.js';
import { startRuntime } from './runtime.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** A day in a second. */
const TIME_SCALE = 86_400;
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

let started = Date.now();
const day = () => ((Date.now() - started) / 1000) * (TIME_SCALE / 86_400);
const say = (line: string) => process.stdout.write(`[day ${day().toFixed(1).padStart(4)}] ${line}\n`);

const devKey = await generateDevKey();
const runtime = await startRuntime({ port: 0, devKey, logLevel: 'silent', timeScale: TIME_SCALE });
started = Date.now();
try {
  const token = (claims: Parameters<typeof signDevToken>[1]) => signDevToken(devKey, claims);
  const admin = await token({ roles: ['platform-admin'], user: 'platform' });
  const tenant = 'acme';
  const operator = await token({ tenant, roles: ['operator', 'viewer'], user: 'olga' });
  const approver = await token({ tenant, roles: ['approver'], user: 'april' });

  const call = async (method: string, path: string, bearer: string, body?: unknown): Promise<any> => {
    const response = await fetch(`${runtime.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text}`);
    return parsed;
  };
  const until = async <T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error('the demo timed out waiting');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const base = `/v1/tenants/${tenant}`;
  const view = () => call('GET', `${base}/upgrade-pipeline`, operator);
  const printed = new Set<string>();
  /** Prints an execution's timeline entries not printed yet. */
  const timeline = async (executionId: string) => {
    const { items } = await call('GET', `${base}/upgrades/${executionId}/events?limit=100`, operator);
    for (const event of items) {
      const key = `${executionId}/${event.at}/${event.type}`;
      if (printed.has(key) || ['InstanceUpgraded', 'BatchStarted'].includes(event.type)) continue;
      printed.add(key);
      say(
        `  ${event.type}${event.actor ? ` by ${event.actor}` : ''}${event.detail?.batch === undefined ? '' : ` (batch ${event.detail.batch})`}`,
      );
    }
  };
  const follow = async (executionId: string) => {
    const execution = await until(
      async () => {
        await timeline(executionId);
        return call('GET', `${base}/upgrades/${executionId}`, operator);
      },
      (current) => ['COMPLETED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'].includes(current.status),
    );
    await timeline(executionId);
    return execution;
  };
  const executionOf = (service: string) =>
    until(
      async () => (await call('GET', `${base}/upgrades?limit=100`, operator)).items.find((e: any) => e.service === service),
      (found) => found !== undefined,
    );

  say(`Sluice is running at ${runtime.url} (time runs ${TIME_SCALE}x: a day a second)`);
  const component = await call('POST', '/v1/components', admin, { name: 'postgresql', description: 'PostgreSQL' });
  await call('POST', `/v1/components/${component.componentId}/versions`, admin, { version: '16.0.0' });
  const instances = [{ id: 'node-1' }, { id: 'node-2' }, { id: 'node-3' }];
  const windowDay = new Date(Date.now() + 2 * 86_400_000);
  const services = [
    ['dev-project', 'pg-dev', {}],
    ['staging-project', 'pg-staging', { autoUpgradeChannel: 'stable' }],
    [
      'prod-project',
      'pg-prod',
      {
        autoUpgradeChannel: 'stable',
        defaultUpgrade: { strategy: 'ROLLING', batchSize: 1 },
        maintenanceWindow: { dayOfWeek: DAYS[windowDay.getUTCDay()], startHour: windowDay.getUTCHours(), durationHours: 2 },
      },
    ],
  ] as const;
  for (const [project, name, extra] of services) {
    await call('POST', `${base}/projects/${project}/services`, operator, {
      name,
      componentId: component.componentId,
      version: '16.0.0',
      instances,
      ...extra,
    });
  }
  say('services pg-dev, pg-staging (channel stable), pg-prod (channel stable, maintenance window in 2 days) run 16.0.0');
  const toStaging = await call('POST', `${base}/upgrade-pipeline/steps`, operator, {
    sourceProjectName: 'dev-project',
    sourceServiceName: 'pg-dev',
    destinationProjectName: 'staging-project',
    destinationServiceName: 'pg-staging',
    autoValidationDelayDays: 3,
  });
  const toProd = await call('POST', `${base}/upgrade-pipeline/steps`, operator, {
    sourceProjectName: 'staging-project',
    sourceServiceName: 'pg-staging',
    destinationProjectName: 'prod-project',
    destinationServiceName: 'pg-prod',
    autoValidationDelayDays: 7,
  });
  say(`pipeline: pg-dev →(${toStaging.autoValidationDelayDays} days) pg-staging →(${toProd.autoValidationDelayDays} days) pg-prod`);

  await call('POST', `/v1/components/${component.componentId}/versions`, admin, { version: '16.1.0', notes: 'Faster vacuum.' });
  say('16.1.0 is released');
  const refused = await fetch(`${runtime.url}${base}/upgrades`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
    body: JSON.stringify({ project: 'prod-project', service: 'pg-prod', toVersion: '16.1.0' }),
  });
  say(`an upgrade of pg-prod to 16.1.0 now is refused: ${refused.status} ${((await refused.json()) as { detail: string }).detail}`);

  const dev = await call('POST', `${base}/upgrades`, operator, { project: 'dev-project', service: 'pg-dev', toVersion: '16.1.0' });
  await call('POST', `${base}/upgrades/${dev.executionId}/start`, operator);
  say('olga upgrades pg-dev to 16.1.0');
  await follow(dev.executionId);
  const pending = await until(view, (graph) => graph.services.some((s: any) => s.name === 'pg-dev' && s.pendingValidation));
  say(
    `pg-dev runs 16.1.0; auto-validation of 16.1.0 is due ${pending.services.find((s: any) => s.name === 'pg-dev').pendingValidation.dueAt}`,
  );

  const auto = await until(
    () => call('GET', `${base}/upgrade-pipeline/steps/${toStaging.stepId}`, operator),
    (step) => step.lastValidation !== undefined,
  );
  say(`16.1.0 validated automatically on pg-dev → pg-staging (validatedByUser "${auto.lastValidation.validatedByUser}")`);
  const staging = await executionOf('pg-staging');
  say(`the pipeline upgrades pg-staging to 16.1.0 at once (no maintenance window): ${staging.executionId}`);
  await follow(staging.executionId);
  const stagingPending = await until(view, (graph) => graph.services.some((s: any) => s.name === 'pg-staging' && s.pendingValidation));
  say(
    `pg-staging runs 16.1.0; its auto-validation would come at ${stagingPending.services.find((s: any) => s.name === 'pg-staging').pendingValidation.dueAt}`,
  );

  const validated = await call('POST', `${base}/projects/staging-project/services/pg-staging/upgrade-validation`, approver, {
    comment: 'Soaked in staging, looks good',
  });
  say(`april validates 16.1.0 on pg-staging: "${validated.comment}"; pg-prod may now go to 16.1.0 in its window`);
  const prod = await executionOf('pg-prod');
  say(
    `pg-prod's maintenance window opens: the pipeline upgrades it with its default strategy (${prod.strategy}, batches of ${prod.batchSize})`,
  );
  await follow(prod.executionId);

  const final = await view();
  say('the pipeline now:');
  for (const service of final.services) {
    say(
      `  ${`${service.project}/${service.name}`.padEnd(28)} runs ${service.version}${service.ceiling ? `, validated ${service.ceiling}` : ''}`,
    );
  }
  for (const step of final.steps) {
    say(
      `  ${step.sourceServiceName} → ${step.destinationServiceName}: last validated ${step.lastValidation?.version} by ${step.lastValidation?.validatedByUser || '(automatic)'}`,
    );
  }
} finally {
  await runtime.stop();
}
