import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import semver from 'semver';
import { isTerminal, STATUSES, type Status, TRANSITIONS } from '../functions/domain/status.js';
import type { Strategy } from '../functions/upgrades/schemas.js';
import { FLOW_OF } from '../functions/upgrades/upgrades.js';
import { generateDevKey, signDevToken } from '../local/dev-auth.js';
import { startRuntime } from '../local/runtime.js';
import { createRandom } from '../test/support/random.js';
import { describeFlow, recordTaskCalls } from '../test/support/tasks.js';
import { waitFor } from '../test/support/wait.js';

/**
 * The concurrency soak (`npm run soak`): the whole local runtime, time-scaled 1000x,
 * a fleet of simulated services that fail and turn unhealthy at random, and many
 * workers driving executions of every strategy at once, with random pause, resume,
 * cancel, rollback, promote, gate decisions and pipeline validations. Then it cancels
 * whatever still runs, waits for every execution to settle, and checks invariants.
 *
 * It prints what it ran and each invariant's result, and exits 1 if one fails. A short
 * run is part of `npm test` (`test/soak/soak.test.ts`), calling `runSoak`.
 */

export interface SoakOptions {
  /** How long the workers drive executions. Default 20. */
  readonly seconds?: number;
  readonly services?: number;
  readonly workers?: number;
  /** Seeds every random choice of the drivers (the runtime's own timing still varies). */
  readonly seed?: number;
  /** Reuse a running DynamoDB Local (tests); otherwise the runtime starts its own. */
  readonly dynamodbEndpoint?: string;
  readonly log?: (line: string) => void;
}

export interface InvariantResult {
  readonly name: string;
  readonly passed: boolean;
  /** How many things it looked at. */
  readonly checked: number;
  readonly failures: readonly string[];
  /** Set when the failures are a known, reported bug: shown, but not counted as a failure. */
  readonly knownBug?: string;
}

export interface SoakReport {
  readonly seed: number;
  readonly seconds: number;
  readonly services: number;
  readonly executions: number;
  readonly byStrategy: Record<string, number>;
  /** Requests sent by the drivers, per operation and answer status. */
  readonly operations: Record<string, Record<string, number>>;
  readonly totalOperations: number;
  readonly finalStatuses: Record<string, number>;
  readonly invariants: readonly InvariantResult[];
  readonly passed: boolean;
}

const STRATEGIES = ['ROLLING', 'CANARY', 'BLUE_GREEN', 'RECREATE', 'STAGED'] as const;
const VERSIONS = ['1.0.0', '1.0.1', '1.1.0'] as const;
const IN_FLIGHT = ['DRAINING', 'UPGRADING', 'HEALTH_CHECKING'];
const TERMINAL_EVENT: Record<string, readonly string[]> = {
  COMPLETED: ['UpgradeCompleted'],
  CANCELLED: ['UpgradeCancelled'],
  FAILED: ['UpgradeFailed', 'PreChecksFailed'],
  ROLLED_BACK: ['UpgradeRolledBack'],
};

/** Every status reachable from each status in one or more legal steps. */
const REACHABLE: Record<Status, Set<Status>> = Object.fromEntries(
  STATUSES.map((from) => {
    const seen = new Set<Status>();
    const queue: Status[] = [...TRANSITIONS[from]];
    while (queue.length > 0) {
      const status = queue.shift() as Status;
      if (seen.has(status)) continue;
      seen.add(status);
      queue.push(...TRANSITIONS[status]);
    }
    return [from, seen];
  }),
) as Record<Status, Set<Status>>;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface Tracked {
  readonly executionId: string;
  readonly service: string;
  readonly strategy: string;
  readonly toVersion: string;
  /** Statuses as observed by sequential consistent reads, without repeats. */
  readonly observed: Status[];
  status: Status;
  /** The first status seen terminal, to check it never changes again. */
  terminalSeen?: Status;
}

export async function runSoak(options: SoakOptions = {}): Promise<SoakReport> {
  const seconds = options.seconds ?? 20;
  const serviceCount = options.services ?? 12;
  const workerCount = options.workers ?? 8;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const log = options.log ?? (() => undefined);
  // Seedable (mulberry32): a failing run can be replayed with `--seed`.
  const random = createRandom(seed);
  const tasks = recordTaskCalls();

  const devKey = await generateDevKey();
  const runtime = await startRuntime({
    port: 0,
    devKey,
    logLevel: 'silent',
    timeScale: 1000,
    ...(options.dynamodbEndpoint ? { dynamodbEndpoint: options.dynamodbEndpoint } : {}),
  });
  const operations: Record<string, Record<string, number>> = {};
  const serverErrors: string[] = [];
  try {
    const tenant = `soak-${randomUUID().slice(0, 8)}`;
    const project = 'soak';
    const base = `/v1/tenants/${tenant}`;
    const admin = await signDevToken(devKey, { roles: ['platform-admin'], user: 'soak-admin' });
    const operator = await signDevToken(devKey, { tenant, roles: ['operator'], user: 'soak-operator' });
    const approver = await signDevToken(devKey, { tenant, roles: ['approver'], user: 'soak-approver' });
    const viewer = await signDevToken(devKey, { tenant, roles: ['viewer'], user: 'soak-viewer' });

    /** One request; `operation` names it in the tally (setup and reads pass none). */
    const call = async (
      method: string,
      path: string,
      token: string,
      body?: unknown,
      operation?: string,
    ): Promise<{ status: number; body: any }> => {
      const response = await fetch(`${runtime.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      if (operation) {
        const tally = (operations[operation] ??= {});
        tally[response.status] = (tally[response.status] ?? 0) + 1;
      }
      if (response.status >= 500) serverErrors.push(`${method} ${path} → ${response.status} ${text.slice(0, 300)}`);
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    };
    const must = async (method: string, path: string, token: string, body: unknown, expected: number) => {
      const response = await call(method, path, token, body);
      if (response.status !== expected)
        throw new Error(`soak setup: ${method} ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
      return response.body;
    };
    const pages = async (path: string): Promise<any[]> => {
      const items: any[] = [];
      let next: string | undefined;
      do {
        const page = await must(
          'GET',
          `${path}${path.includes('?') ? '&' : '?'}limit=100${next ? `&nextToken=${encodeURIComponent(next)}` : ''}`,
          viewer,
          undefined,
          200,
        );
        items.push(...page.items);
        next = page.nextToken;
      } while (next);
      return items;
    };

    // --- The world: one component, a fleet that fails at random, a few pipeline steps.
    const component = await must('POST', '/v1/components', admin, { name: `soak-${randomUUID().slice(0, 8)}` }, 201);
    const componentId = component.componentId as string;
    for (const version of VERSIONS)
      await must('POST', `/v1/components/${componentId}/versions`, admin, { version, channel: 'stable' }, 201);

    const services: string[] = [];
    for (let index = 0; index < serviceCount; index += 1) {
      const name = `s-${index}`;
      const ids = Array.from({ length: random.int(2, 6) }, (_, n) => `i-${n}`);
      const target = {
        type: 'simulated',
        ...(random.chance(0.35) ? { failInstances: [...new Set([random.pick(ids), random.pick(ids)])] } : {}),
        ...(random.chance(0.25) ? { unhealthyInstances: [random.pick(ids)] } : {}),
      };
      await must(
        'POST',
        `${base}/projects/${project}/services`,
        operator,
        { name, componentId, version: '1.0.0', instances: ids.map((id) => ({ id })), target },
        201,
      );
      services.push(name);
    }
    // Pairs s-0 → s-1, s-2 → s-3, …: the destinations get a validated-version ceiling.
    const sources: string[] = [];
    for (let index = 0; index + 1 < Math.min(serviceCount, 8); index += 2) {
      await must(
        'POST',
        `${base}/upgrade-pipeline/steps`,
        operator,
        {
          sourceProjectName: project,
          sourceServiceName: `s-${index}`,
          destinationProjectName: project,
          destinationServiceName: `s-${index + 1}`,
        },
        201,
      );
      sources.push(`s-${index}`);
    }

    // --- Drive.
    const tracked = new Map<string, Tracked>();
    const current = new Map<string, string>();
    const observe = (execution: Tracked, status: Status) => {
      if (execution.observed[execution.observed.length - 1] !== status) execution.observed.push(status);
      execution.status = status;
      if (isTerminal(status)) execution.terminalSeen ??= status;
    };
    /** Sequential consistent reads are the only source of the observed path. */
    const read = async (execution: Tracked) => {
      const response = await call('GET', `${base}/upgrades/${execution.executionId}`, viewer);
      if (response.status === 200) observe(execution, response.body.status as Status);
      return response;
    };

    const knobs = (strategy: string) => {
      const common = {
        batchSize: random.int(1, 4),
        maxUnavailablePercentage: random.pick([25, 50, 100]),
        batchDelaySeconds: random.int(0, 60),
        healthCheckIntervalSeconds: random.int(1, 10),
        healthCheckTimeoutSeconds: random.int(10, 120),
        autoRollbackEnabled: random.chance(0.5),
        failureThreshold: random.int(1, 3),
      };
      switch (strategy) {
        case 'CANARY':
          return {
            ...common,
            canaryPercentage: random.pick([10, 25, 50]),
            ...(random.chance(0.5) ? { canaryAutoPromoteSeconds: random.int(200, 2000) } : {}),
          };
        case 'BLUE_GREEN':
          return {
            ...common,
            scaleDownDelaySeconds: random.int(0, 2000),
            ...(random.chance(0.4) ? { autoPromotionSeconds: random.int(200, 2000) } : {}),
            gateTimeoutSeconds: random.int(1000, 5000),
            onGateTimeout: random.pick(['approve', 'reject']),
          };
        case 'STAGED':
          return {
            ...common,
            stages: [{ name: 'first', percentage: random.pick([20, 34, 50]) }, { name: 'second', percentage: 30 }, { name: 'rest' }],
            gateTimeoutSeconds: random.int(1000, 5000),
            onGateTimeout: random.pick(['approve', 'reject']),
          };
        default:
          return common;
      }
    };

    const create = async (service: string) => {
      const found = await call('GET', `${base}/projects/${project}/services/${service}`, viewer);
      const from = found.body?.version as string;
      const strategy = random.pick(STRATEGIES);
      // Mostly stay under a destination's ceiling; sometimes try above it (must be refused).
      const ceiling = found.body?.validatedVersion as string | undefined;
      const allowed = VERSIONS.filter((version) => version !== from && (!ceiling || random.chance(0.1) || semver.lte(version, ceiling)));
      if (allowed.length === 0) return;
      const toVersion = random.pick(allowed);
      const created = await call(
        'POST',
        `${base}/upgrades`,
        operator,
        { project, service, toVersion, strategy, ...knobs(strategy) },
        'create',
      );
      if (created.status !== 201) return;
      const execution: Tracked = { executionId: created.body.executionId, service, strategy, toVersion, observed: [], status: 'PENDING' };
      tracked.set(execution.executionId, execution);
      observe(execution, 'PENDING');
      current.set(service, execution.executionId);
      if (random.chance(0.9)) await call('POST', `${base}/upgrades/${execution.executionId}/start`, operator, {}, 'start');
    };

    const act = async (execution: Tracked) => {
      const path = `${base}/upgrades/${execution.executionId}`;
      const action = random.weighted({
        read: 25,
        pause: 8,
        resume: 10,
        cancel: 4,
        rollback: 5,
        'promote-canary': execution.strategy === 'CANARY' ? 15 : 1,
        approve: ['STAGED', 'BLUE_GREEN'].includes(execution.strategy) ? 20 : 1,
        reject: 4,
        start: 3,
      });
      switch (action) {
        case 'read':
          return;
        case 'rollback':
          await call('POST', `${path}/rollback`, operator, { reason: 'soak: random rollback' }, 'rollback');
          return;
        case 'approve':
        case 'reject':
          await call('POST', `${path}/${action}`, approver, { comment: 'soak' }, action);
          return;
        default:
          await call('POST', `${path}/${action}`, operator, {}, action);
      }
    };

    const deadline = Date.now() + seconds * 1000;
    const worker = async () => {
      while (Date.now() < deadline) {
        const service = random.pick(services);
        const active = tracked.get(current.get(service) ?? '');
        if (random.chance(0.04) && sources.length > 0) {
          await call(
            'POST',
            `${base}/projects/${project}/services/${random.pick(sources)}/upgrade-validation`,
            approver,
            { comment: 'soak' },
            'validate',
          );
        } else if (!active || isTerminal(active.status) || random.chance(0.05)) {
          // Also, now and then, a creation that must lose to the active execution.
          await create(service);
        } else {
          await act(active);
        }
        await sleep(random.int(5, 60));
      }
    };
    let observing = true;
    const ceilingViolations: string[] = [];
    let ceilingChecks = 0;
    const observer = async () => {
      while (observing) {
        for (const execution of [...tracked.values()]) {
          if (!observing) break;
          if (!execution.terminalSeen) await read(execution);
        }
        for (const service of await pages(`${base}/projects/${project}/services`)) {
          ceilingChecks += 1;
          if (service.validatedVersion && semver.gt(service.version, service.validatedVersion)) {
            ceilingViolations.push(
              `${service.name} runs ${service.version} above its ceiling ${service.validatedVersion} (during the run)`,
            );
          }
        }
        await sleep(100);
      }
    };
    log(`soak: seed ${seed}, ${serviceCount} services, ${workerCount} workers, ${seconds}s at time scale 1000`);
    const watching = observer();
    await Promise.all(Array.from({ length: workerCount }, worker));

    // --- Settle: cancel whatever still runs, and wait until everything is terminal.
    const settleDeadline = Date.now() + 60_000;
    for (;;) {
      const open = [...tracked.values()].filter((execution) => !execution.terminalSeen);
      if (open.length === 0 || Date.now() > settleDeadline) break;
      for (const execution of open) {
        const response = await read(execution);
        if (response.status === 200 && !isTerminal(response.body.status))
          await call('POST', `${base}/upgrades/${execution.executionId}/cancel`, operator, {}, 'cancel (settle)');
      }
      await sleep(200);
    }
    observing = false;
    await watching;
    // Let the flows do anything they still would, then read everything once more: wait until
    // no task call of a tracked execution is in flight and no flow of a terminal one still
    // runs on the engine (a stopped flow runs no further state, but its task in flight
    // returns and writes). Bounded: an execution left open is the invariants' to report.
    const atRest = async () => {
      for (const execution of tracked.values()) {
        if (tasks.running(execution.executionId).length > 0) return false;
        if (!execution.terminalSeen) continue;
        const flow = await describeFlow(runtime.endpoints.stepfunctions, FLOW_OF[execution.strategy as Strategy], execution.executionId);
        if (flow?.status === 'RUNNING') return false;
      }
      return true;
    };
    await waitFor(atRest, { timeout: 30_000, interval: 50 }).catch((error: unknown) => log(`soak: ${(error as Error).message}`));

    // --- Invariants.
    const executions = [...tracked.values()];
    const finals = new Map<string, any>();
    for (const execution of executions) {
      const response = await read(execution);
      finals.set(execution.executionId, response.body);
    }
    const invariants: InvariantResult[] = [];
    const check = (name: string, checked: number, failures: string[], knownBug?: string) =>
      invariants.push({ name, passed: failures.length === 0, checked, failures, ...(knownBug && failures.length > 0 ? { knownBug } : {}) });

    check(
      'no request answered 5xx',
      Object.values(operations).reduce((sum, tally) => sum + Object.values(tally).reduce((a, b) => a + b, 0), 0),
      serverErrors,
    );

    // An execution left open says where it stands: its flow on the engine, the task calls
    // it made last, and its last events, so that a failure can be read without a rerun.
    const stuck: string[] = [];
    for (const execution of executions.filter((candidate) => !isTerminal(candidate.status))) {
      const flow = await describeFlow(runtime.endpoints.stepfunctions, FLOW_OF[execution.strategy as Strategy], execution.executionId);
      const events = await call('GET', `${base}/upgrades/${execution.executionId}/events?limit=100`, viewer);
      const types = ((events.body?.items ?? []) as { type: string }[]).map((event) => event.type).slice(-8);
      const calls = tasks
        .of(execution.executionId)
        .slice(-4)
        .map((task) => `${task.task}${task.error ? `!${(task.error as Error).message ?? String(task.error)}` : ''}`);
      stuck.push(
        `${execution.executionId} (${execution.strategy}) still ${execution.status}; flow ${flow?.status ?? 'none'}; last tasks ${calls.join(', ')}; last events ${types.join(' ')}`,
      );
    }
    check('every execution reached a terminal status after the final cancel', executions.length, stuck);

    check(
      'every observed status path follows the status transition table; terminal ones stay terminal',
      executions.length,
      executions.flatMap((execution) => {
        const problems: string[] = [];
        execution.observed.forEach((status, index) => {
          const previous = execution.observed[index - 1];
          if (!STATUSES.includes(status)) problems.push(`${execution.executionId}: unknown status ${status}`);
          else if (previous && !REACHABLE[previous].has(status))
            problems.push(
              `${execution.executionId} (${execution.strategy}): ${previous} → ${status} is not reachable (${execution.observed.join(' → ')})`,
            );
        });
        if (execution.terminalSeen && execution.status !== execution.terminalSeen)
          problems.push(`${execution.executionId}: terminal ${execution.terminalSeen} later read as ${execution.status}`);
        return problems;
      }),
    );

    const instanceFailures: string[] = [];
    const strandedByCancel: string[] = [];
    let instancesChecked = 0;
    for (const execution of executions) {
      const instances = await pages(`${base}/upgrades/${execution.executionId}/instances`);
      instancesChecked += instances.length;
      const final = finals.get(execution.executionId);
      const bad = (statuses: readonly string[]) =>
        instances.filter((instance) => statuses.includes(instance.status)).map((instance) => `${instance.instanceId}=${instance.status}`);
      const forbidden: Record<string, readonly string[]> = {
        COMPLETED: ['PENDING', ...IN_FLIGHT],
        ROLLED_BACK: [...IN_FLIGHT, 'COMPLETED'],
        FAILED: IN_FLIGHT,
      };
      const wrong = bad(forbidden[execution.status] ?? []);
      if (wrong.length > 0)
        instanceFailures.push(`${execution.executionId} (${execution.strategy}) is ${execution.status} with ${wrong.join(', ')}`);
      const stranded = execution.status === 'CANCELLED' ? bad(IN_FLIGHT) : [];
      if (stranded.length > 0)
        strandedByCancel.push(`${execution.executionId} (${execution.strategy}) is CANCELLED with ${stranded.join(', ')}`);
      if (final && final.progress.total !== instances.length)
        instanceFailures.push(`${execution.executionId}: progress.total ${final.progress.total} but ${instances.length} instances`);
    }
    check('every instance status is consistent with its execution', instancesChecked, instanceFailures);
    check(
      'a cancelled execution leaves no instance in flight (DRAINING/UPGRADING/HEALTH_CHECKING)',
      executions.filter((execution) => execution.status === 'CANCELLED').length,
      strandedByCancel,
    );

    const finalServices = await pages(`${base}/projects/${project}/services`);
    for (const service of finalServices) {
      ceilingChecks += 1;
      if (service.validatedVersion && semver.gt(service.version, service.validatedVersion))
        ceilingViolations.push(`${service.name} runs ${service.version} above its ceiling ${service.validatedVersion}`);
    }
    check('no service runs above its validated-version ceiling', ceilingChecks, ceilingViolations);

    const versionFailures: string[] = [];
    for (const service of finalServices) {
      const last = executions.filter((execution) => execution.service === service.name).pop();
      if (last?.status === 'COMPLETED' && service.version !== last.toVersion)
        versionFailures.push(
          `${service.name} runs ${service.version} after its last execution ${last.executionId} completed to ${last.toVersion}`,
        );
    }
    check("a service whose last execution completed runs that execution's version", finalServices.length, versionFailures);

    const timelineFailures: string[] = [];
    for (const execution of executions) {
      const types = (await pages(`${base}/upgrades/${execution.executionId}/events`)).map((event) => event.type as string);
      if (!types.includes('UpgradeCreated')) timelineFailures.push(`${execution.executionId}: no UpgradeCreated event`);
      const terminal = TERMINAL_EVENT[execution.status];
      if (terminal && !types.some((type) => terminal.includes(type)))
        timelineFailures.push(`${execution.executionId} is ${execution.status} with no ${terminal.join('/')} event (${types.join(', ')})`);
    }
    check('no lost timeline events (creation, and a terminal event for a terminal status)', executions.length, timelineFailures);

    const stored = await pages(`${base}/upgrades?componentId=${componentId}`);
    const storedIds = new Set(stored.map((item) => item.executionId as string));
    const listFailures = [
      ...executions
        .filter((execution) => !storedIds.has(execution.executionId))
        .map((execution) => `${execution.executionId} created (201) but not listed`),
      ...[...storedIds].filter((id) => !tracked.has(id)).map((id) => `${id} listed but never created by the soak`),
    ];
    check('every created execution is stored, and nothing else', stored.length, listFailures);

    const stats = (await call('GET', `${base}/components/${componentId}/upgrade-statistics`, viewer)).body;
    const count = (statuses: readonly string[]) => stored.filter((item) => statuses.includes(item.status)).length;
    const expected = {
      totalExecutions: count(['COMPLETED', 'FAILED', 'ROLLED_BACK', 'CANCELLED']),
      successfulExecutions: count(['COMPLETED']),
      failedExecutions: count(['FAILED', 'ROLLED_BACK']),
    };
    check(
      'statistics equal the executions stored for the component',
      stored.length,
      (Object.keys(expected) as Array<keyof typeof expected>)
        .filter((key) => stats?.[key] !== expected[key])
        .map((key) => `${key}: statistics say ${stats?.[key]}, stored executions say ${expected[key]}`),
    );

    const byStrategy: Record<string, number> = {};
    const finalStatuses: Record<string, number> = {};
    for (const execution of executions) {
      byStrategy[execution.strategy] = (byStrategy[execution.strategy] ?? 0) + 1;
      finalStatuses[execution.status] = (finalStatuses[execution.status] ?? 0) + 1;
    }
    const totalOperations = Object.values(operations).reduce((sum, tally) => sum + Object.values(tally).reduce((a, b) => a + b, 0), 0);
    return {
      seed,
      seconds,
      services: serviceCount,
      executions: executions.length,
      byStrategy,
      operations,
      totalOperations,
      finalStatuses,
      invariants,
      passed: invariants.every((invariant) => invariant.passed || invariant.knownBug !== undefined),
    };
  } finally {
    await runtime.stop();
  }
}

/** The report as the CLI prints it. */
export function formatSoakReport(report: SoakReport): string {
  const lines = [
    `# Soak: ${report.seconds}s, seed ${report.seed}, ${report.services} services`,
    `executions: ${report.executions} (${Object.entries(report.byStrategy)
      .map(([strategy, n]) => `${strategy} ${n}`)
      .join(', ')})`,
    `final statuses: ${Object.entries(report.finalStatuses)
      .map(([status, n]) => `${status} ${n}`)
      .join(', ')}`,
    `operations: ${report.totalOperations}`,
    ...Object.entries(report.operations).map(
      ([operation, tally]) =>
        `  ${operation.padEnd(16)} ${Object.entries(tally)
          .map(([status, n]) => `${status}×${n}`)
          .join(' ')}`,
    ),
    `invariants: ${report.invariants.filter((invariant) => invariant.passed).length}/${report.invariants.length} hold`,
    ...report.invariants.flatMap((invariant) => [
      `  ${invariant.passed ? 'PASS' : invariant.knownBug ? 'KNOWN BUG' : 'FAIL'} ${invariant.name} (${invariant.checked} checked)${invariant.knownBug && !invariant.passed ? `: ${invariant.knownBug}` : ''}`,
      ...invariant.failures.slice(0, 10).map((failure) => `       ${failure}`),
      ...(invariant.failures.length > 10 ? [`       … and ${invariant.failures.length - 10} more`] : []),
    ]),
  ];
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    options: { seconds: { type: 'string' }, services: { type: 'string' }, workers: { type: 'string' }, seed: { type: 'string' } },
  });
  const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));
  const report = await runSoak({
    ...(values.seconds ? { seconds: number(values.seconds) } : {}),
    ...(values.services ? { services: number(values.services) } : {}),
    ...(values.workers ? { workers: number(values.workers) } : {}),
    ...(values.seed ? { seed: number(values.seed) } : {}),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`${formatSoakReport(report)}\n`);
  process.exit(report.passed ? 0 : 1);
}
