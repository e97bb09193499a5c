/**
 * Every upgrade flow (one ASL file each), as plain data.
 *
 * The ASL files in `statemachines/` are the only definition of a flow (docs/decisions/0012-asl-files-are-the-only-flow-definition.md).
 * This list says which files exist, in which order to create them, which `${Key}`
 * placeholders each one may use, and which flows the upgrades API starts. The CDK
 * stack, the local runtime (which creates the same state machines on its embedded
 * engine) and the tests all read it, so the placeholders a file uses and the values
 * each side provides cannot drift apart. Nothing here imports CDK.
 *
 * Adding a flow: drop `statemachines/<name>.asl.json`, add one entry below (after
 * every flow it starts), and give it `apiEnvVar` if the upgrades API starts it.
 */

/** Placeholder holding the ARN of the task function every upgrade flow invokes. */
export const TASK_FUNCTION_ARN_KEY = 'UpgradeTasksFunctionArn';
/** Placeholder holding the ARN of the task function the fleet update run flows invoke. */
export const FLEET_TASK_FUNCTION_ARN_KEY = 'FleetTasksFunctionArn';

/**
 * Placeholder holding the ARN of the state machine of flow `name`:
 * `batch` → `BatchStateMachineArn`. A flow that uses it starts that flow as a child
 * (`states:startExecution.sync:2`), so the child must come earlier in {@link FLOWS}.
 */
export function stateMachineArnKey(name: string): string {
  return `${name.replace(/(^|[-_])([a-z])/g, (_m, _sep: string, c: string) => c.toUpperCase())}StateMachineArn`;
}

export interface FlowDefinition {
  /** Short name: construct id in CDK, state machine name in the local runtime. */
  readonly name: string;
  /** ASL file, relative to the repository root. */
  readonly file: string;
  /**
   * Every `${Key}` the file may use: {@link TASK_FUNCTION_ARN_KEY} and the
   * {@link stateMachineArnKey} of each child flow. Nothing else is substituted.
   */
  readonly substitutionKeys: readonly string[];
  /**
   * Environment variable through which the upgrades API finds this flow's state
   * machine; the API may start and stop executions of exactly these flows. Absent for
   * flows that only run as children of another flow.
   */
  readonly apiEnvVar?: string;
  /**
   * Which API starts it: `upgrades` (the upgrades, registry and pipeline functions start
   * one upgrade's flow) or `fleet` (the fleet function starts update runs, whose tasks
   * start the member upgrades). Present exactly when `apiEnvVar` is.
   */
  readonly startedBy?: 'upgrades' | 'fleet';
}

/** Every flow, children before the flows that start them. */
export const FLOWS = [
  {
    name: 'batch',
    file: 'statemachines/batch.asl.json',
    substitutionKeys: [TASK_FUNCTION_ARN_KEY],
  },
  {
    name: 'rolling',
    file: 'statemachines/rolling.asl.json',
    substitutionKeys: [TASK_FUNCTION_ARN_KEY, stateMachineArnKey('batch')],
    apiEnvVar: 'ROLLING_STATE_MACHINE_ARN',
    startedBy: 'upgrades',
  },
  {
    name: 'canary-monitor',
    file: 'statemachines/canary-monitor.asl.json',
    substitutionKeys: [TASK_FUNCTION_ARN_KEY],
  },
  {
    name: 'canary',
    file: 'statemachines/canary.asl.json',
    substitutionKeys: [
      TASK_FUNCTION_ARN_KEY,
      stateMachineArnKey('batch'),
      stateMachineArnKey('canary-monitor'),
      stateMachineArnKey('rolling'),
    ],
    apiEnvVar: 'CANARY_STATE_MACHINE_ARN',
    startedBy: 'upgrades',
  },
  {
    name: 'blue-green',
    file: 'statemachines/blue-green.asl.json',
    substitutionKeys: [TASK_FUNCTION_ARN_KEY, stateMachineArnKey('batch')],
    apiEnvVar: 'BLUE_GREEN_STATE_MACHINE_ARN',
    startedBy: 'upgrades',
  },
  {
    name: 'update-run-stage',
    file: 'statemachines/update-run-stage.asl.json',
    substitutionKeys: [FLEET_TASK_FUNCTION_ARN_KEY],
  },
  {
    name: 'update-run',
    file: 'statemachines/update-run.asl.json',
    substitutionKeys: [FLEET_TASK_FUNCTION_ARN_KEY, stateMachineArnKey('update-run-stage')],
    apiEnvVar: 'UPDATE_RUN_STATE_MACHINE_ARN',
    startedBy: 'fleet',
  },
] as const satisfies readonly FlowDefinition[];

export type FlowName = (typeof FLOWS)[number]['name'];

/** The flows an API starts: those with an `apiEnvVar`. */
export type StartableFlowName = Extract<(typeof FLOWS)[number], { apiEnvVar: string }>['name'];
/** The flows of one upgrade execution, which the upgrades API starts. */
export type UpgradeFlowName = Extract<(typeof FLOWS)[number], { startedBy: 'upgrades' }>['name'];

/** The flows `flow` starts as children: those whose ARN key it substitutes. */
export function childFlowsOf(flow: FlowDefinition): FlowDefinition[] {
  return FLOWS.filter((child) => flow.substitutionKeys.includes(stateMachineArnKey(child.name)));
}

/** Every `${Key}` placeholder in an ASL text; `${!Key}` is the escape for a literal. */
export function placeholdersOf(definitionText: string): string[] {
  const keys = new Set<string>();
  for (const [, key] of definitionText.matchAll(/\$\{([^}]*)\}/g)) {
    if (key !== undefined && !key.startsWith('!')) keys.add(key);
  }
  return [...keys];
}
