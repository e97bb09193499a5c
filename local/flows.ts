import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FLOWS, TASK_FUNCTION_ARN_KEY, stateMachineArnKey } from '../lib/flows.js';
import type { Logger } from '../functions/shared/logger.js';
import { applySubstitutions, createEngine, SfnApiError, startSfnServer, type SfnEngine } from './engine/index.js';
import { invokeLocalFunction, localFunctionArn, LOCAL_ACCOUNT, LOCAL_REGION } from './lambdas.js';

const ROOT = join(import.meta.dirname, '..');

export interface LocalFlows {
  readonly engine: SfnEngine;
  /** The Step Functions endpoint the real SDK client (and the AWS CLI) can use. */
  readonly endpoint: string;
  /** What the upgrades API reads to find each flow: `ROLLING_STATE_MACHINE_ARN=…`. */
  readonly environment: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The embedded Step Functions engine with every flow of `lib/flows.ts` created from
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
  });
  const substitutions: Record<string, string> = { [TASK_FUNCTION_ARN_KEY]: localFunctionArn('sluice-upgrade-tasks') };
  const environment: Record<string, string> = {};
  for (const flow of FLOWS) {
    const text = await readFile(join(ROOT, flow.file), 'utf8');
    const definition = applySubstitutions(text, Object.fromEntries(flow.substitutionKeys.map((key) => [key, substitutions[key] ?? ''])));
    const name = `sluice-${flow.name}`;
    const stateMachineArn = await createOrReplace(engine, name, definition);
    substitutions[stateMachineArnKey(flow.name)] = stateMachineArn;
    if ('apiEnvVar' in flow && flow.apiEnvVar) environment[flow.apiEnvVar] = stateMachineArn;
  }
  const server = await startSfnServer(engine, { port: 0 });
  return {
    engine,
    endpoint: server.url,
    environment,
    async stop() {
      await server.close();
      await engine.close();
    },
  };
}

/** A persisted engine may hold an older definition from a previous start: replace it. */
async function createOrReplace(engine: SfnEngine, name: string, definition: string): Promise<string> {
  try {
    return (await engine.createStateMachine({ name, definition })).stateMachineArn;
  } catch (error) {
    if (!(error instanceof SfnApiError) || error.code !== 'StateMachineAlreadyExists') throw error;
    const arn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
    await engine.deleteStateMachine({ stateMachineArn: arn });
    return (await engine.createStateMachine({ name, definition })).stateMachineArn;
  }
}
