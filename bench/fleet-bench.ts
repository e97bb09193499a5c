import { GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { generateDevKey, signDevToken } from '../local/dev-auth.js';
import { MAX_HISTORY_EVENTS } from '../local/engine/index.js';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../local/lambdas.js';
import { startRuntime } from '../local/runtime.js';

export interface FleetFigures {
  readonly members: number;
  readonly stages: number;
  readonly wallSeconds: number;
  /** The update run's parent execution: the one history that spans the whole run. */
  readonly runParentEvents: number;
  readonly largestStageEvents: number;
  readonly runTransitions: number;
  readonly runTransitionsPerMember: number;
  /** The baseline: one service's ROLLING upgrade of as many instances. */
  readonly rollingInstances: number;
  readonly rollingParentEvents: number;
  readonly rollingTransitions: number;
  readonly rollingTransitionsPerInstance: number;
  readonly historyLimit: number;
}

/**
 * A fleet update run of `stages` × `perStage` members (one instance each, simulated target)
 * against one ROLLING upgrade of as many instances, in the same local runtime (1000x time):
 * the run's parent history (what must stay inside Step Functions' 25,000 events), its largest
 * stage child, and the state transitions (states entered, parents and children) per member,
 * the run's flows alone (the member upgrades' own flows are the baseline's kind of cost).
 */
export async function runFleetBench({ stages = 10, perStage = 100, batchSize = 50 } = {}): Promise<FleetFigures> {
  const devKey = await generateDevKey();
  const runtime = await startRuntime({ port: 0, devKey, logLevel: 'silent', timeScale: 1000 });
  const sfn = new SFNClient({
    endpoint: runtime.endpoints.stepfunctions,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const tenant = `bench-${Date.now().toString(36)}`;
    const admin = await signDevToken(devKey, { roles: ['platform-admin'], user: 'bench' });
    const operator = await signDevToken(devKey, { tenant, roles: ['operator', 'viewer'], user: 'bench' });
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const response = await fetch(`${runtime.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
      return text ? (JSON.parse(text) as Record<string, any>) : {};
    };
    const { componentId } = await call('POST', '/v1/components', admin, { name: `bench-${tenant}` });
    for (const version of ['1.0.0', '1.0.1'])
      await call('POST', `/v1/components/${componentId}/versions`, admin, { version, channel: 'stable' });
    const members = stages * perStage;
    const quick = { batchDelaySeconds: 1, healthCheckIntervalSeconds: 1 };
    const create = async (index: number) =>
      call('POST', `/v1/tenants/${tenant}/projects/fleet/services`, operator, {
        name: `s-${String(index).padStart(4, '0')}`,
        componentId,
        version: '1.0.0',
        instances: [{ id: 'i-0' }],
        labels: { stage: `s${Math.floor(index / perStage)}` },
        defaultUpgrade: quick,
      });
    for (let index = 0; index < members; index += 20) {
      await Promise.all(Array.from({ length: Math.min(20, members - index) }, (_, offset) => create(index + offset)));
    }
    const run = await call('POST', `/v1/tenants/${tenant}/update-runs`, operator, {
      name: 'bench',
      componentId,
      toVersion: '1.0.1',
      stages: Array.from({ length: stages }, (_, s) => ({
        name: `stage-${s}`,
        groups: [{ name: 'all', selector: { matchLabels: { stage: `s${s}` } }, maxConcurrency: 25 }],
      })),
    });
    const began = Date.now();
    await call('POST', `/v1/tenants/${tenant}/update-runs/${run.runId}/start`, operator);
    for (;;) {
      const state = await call('GET', `/v1/tenants/${tenant}/update-runs/${run.runId}`, operator);
      if (['COMPLETED', 'FAILED'].includes(state.status)) {
        if (state.status !== 'COMPLETED' || state.counts.COMPLETED !== members) {
          throw new Error(`the run ended ${state.status} with ${JSON.stringify(state.counts)}`);
        }
        break;
      }
      await new Promise((done) => setTimeout(done, 250));
    }
    const wallSeconds = (Date.now() - began) / 1000;
    const machine = (name: string) => `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:sluice-${name}`;
    const history = async (executionArn: string) => {
      const events: { type?: string }[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
        events.push(...(page.events ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return events;
    };
    const executions = async (name: string) => {
      const arns: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine(name), maxResults: 1000, nextToken }));
        arns.push(...(page.executions ?? []).map((execution) => execution.executionArn ?? ''));
        nextToken = page.nextToken;
      } while (nextToken);
      return arns;
    };
    const entered = (events: { type?: string }[]) => events.filter((event) => event.type?.endsWith('StateEntered')).length;
    const [parentArn] = await executions('update-run');
    const parent = await history(parentArn ?? '');
    let runTransitions = entered(parent);
    let largestStageEvents = 0;
    for (const arn of await executions('update-run-stage')) {
      const events = await history(arn);
      largestStageEvents = Math.max(largestStageEvents, events.length);
      runTransitions += entered(events);
    }

    // The baseline: one service of `members` instances, ROLLING in batches of `batchSize`.
    await call('POST', `/v1/tenants/${tenant}/projects/single/services`, operator, {
      name: 'big',
      componentId,
      version: '1.0.0',
      instances: Array.from({ length: members }, (_, index) => ({ id: `i-${index}` })),
      defaultUpgrade: { ...quick, batchSize, maxUnavailablePercentage: 100 },
    });
    const upgrade = await call('POST', `/v1/tenants/${tenant}/upgrades`, operator, {
      project: 'single',
      service: 'big',
      toVersion: '1.0.1',
    });
    const rollingBefore = new Set(await executions('rolling'));
    const batchesBefore = new Set(await executions('batch'));
    await call('POST', `/v1/tenants/${tenant}/upgrades/${upgrade.executionId}/start`, operator);
    for (;;) {
      const state = await call('GET', `/v1/tenants/${tenant}/upgrades/${upgrade.executionId}`, operator);
      if (state.status === 'COMPLETED') break;
      if (['FAILED', 'ROLLED_BACK', 'CANCELLED'].includes(state.status)) throw new Error(`the baseline ended ${state.status}`);
      await new Promise((done) => setTimeout(done, 250));
    }
    const rollingArn = (await executions('rolling')).find((arn) => !rollingBefore.has(arn)) ?? '';
    const rolling = await history(rollingArn);
    let rollingTransitions = entered(rolling);
    for (const arn of (await executions('batch')).filter((arn) => !batchesBefore.has(arn)))
      rollingTransitions += entered(await history(arn));

    return {
      members,
      stages,
      wallSeconds,
      runParentEvents: parent.length,
      largestStageEvents,
      runTransitions,
      runTransitionsPerMember: Math.round((runTransitions / members) * 100) / 100,
      rollingInstances: members,
      rollingParentEvents: rolling.length,
      rollingTransitions,
      rollingTransitionsPerInstance: Math.round((rollingTransitions / members) * 100) / 100,
      historyLimit: MAX_HISTORY_EVENTS,
    };
  } finally {
    sfn.destroy();
    await runtime.stop();
  }
}
