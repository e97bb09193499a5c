import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../functions/common/logger.js';
import { FLEET_TASK_FUNCTION_ARN_KEY, FLOWS, stateMachineArnKey, TASK_FUNCTION_ARN_KEY } from '../functions/domain/flows.js';
import { applySubstitutions, createEngine, SfnApiError, type SfnEngine, startSfnServer } from './engine/index.js';
import { FLEET_TASKS_FUNCTION_NAME, invokeLocalFunction, LOCAL_ACCOUNT, LOCAL_REGION, localFunctionArn } from './lambdas.js';

const ROOT = join(import.meta.dirname, '..');

export interface LocalFlows {
  readonly engine: SfnEngine;
  /** The Step Functions endpoint the real SDK client (and the AWS CLI) can use. */
  readonly endpoint: string;
  /** What the upgrades API reads to find each flow: `ROLLING_STATE_MACHINE_ARN=…`. */
  readonly environment: Record<string, string>;
  /**
   * Starts the executions a persisted engine left running. Called once the whole runtime
   * is up: their tasks need the environment (the Step Functions and scheduler endpoints)
   * that is only set after the engine exists.
   */
  resume(): void;
  stop(): Promise<void>;
}

/**
 * The embedded Step Functions engine with every flow of `functions/domain/flows.ts` created from
 * its ASL file, substituted exactly as CDK does, behind the SFN API on localhost.
 */
export async function startLocalFlows(options: { timeScale: number; persistDir?: string; logger: Logger }): Promise<LocalFlows> {
  const engine = await createEngine({
    invokeLambda: invokeLocalFunction,
    timeScale: options.timeScale,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT,
    logger: { debug: (message, fields) => options.logger.debug(message, fields) },
    ...(options.persistDir ? { persistDir: options.persistDir } : {}),
    deferResume: true,
  });
  const arns = await createFlowStateMachines(engine, {
    taskFunctionArn: localFunctionArn('sluice-upgrade-tasks'),
    fleetTaskFunctionArn: localFunctionArn(FLEET_TASKS_FUNCTION_NAME),
    prefix: 'sluice-',
  });
  const environment: Record<string, string> = {};
  for (const flow of FLOWS) {
    if ('apiEnvVar' in flow && flow.apiEnvVar) environment[flow.apiEnvVar] = arns[flow.name] ?? '';
  }
  const server = await startSfnServer(engine, { port: 0 });
  return {
    engine,
    endpoint: server.url,
    environment,
    resume: () => engine.resume(),
    async stop() {
      await server.close();
      await engine.close();
    },
  };
}

/**
 * Creates every flow of `functions/domain/flows.ts` on an engine from its ASL file, children first,
 * substituted exactly as CDK does. Returns each flow's state machine ARN by name.
 */
export async function createFlowStateMachines(
  engine: SfnEngine,
  options: {
    taskFunctionArn: string;
    prefix: string /** Default: `taskFunctionArn` (a test's one stub serves every task). */;
    fleetTaskFunctionArn?: string;
  },
): Promise<Record<string, string>> {
  const substitutions: Record<string, string> = {
    [TASK_FUNCTION_ARN_KEY]: options.taskFunctionArn,
    [FLEET_TASK_FUNCTION_ARN_KEY]: options.fleetTaskFunctionArn ?? options.taskFunctionArn,
  };
  const arns: Record<string, string> = {};
  for (const flow of FLOWS) {
    const text = await readFile(join(ROOT, flow.file), 'utf8');
    const definition = applySubstitutions(text, Object.fromEntries(flow.substitutionKeys.map((key) => [key, substitutions[key] ?? ''])));
    arns[flow.name] = await createOrReplace(engine, `${options.prefix}${flow.name}`, definition);
    substitutions[stateMachineArnKey(flow.name)] = arns[flow.name] ?? '';
  }
  return arns;
}

/** A persisted engine may hold an older definition from a previous start: replace it. */
async function createOrReplace(engine: SfnEngine, name: string, definition: string): Promise<string> {
  try {
    return (await engine.createStateMachine({ name, definition })).stateMachineArn;
  } catch (error) {
    if (!(error instanceof SfnApiError) || error.code !== 'StateMachineAlreadyExists') throw error;
    const arn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
    // Running executions keep the definition they started with.
    await engine.deleteStateMachine({ stateMachineArn: arn });
    return (await engine.createStateMachine({ name, definition })).stateMachineArn;
  }
}
