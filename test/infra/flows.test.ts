/**
 * The flow list (`functions/domain/flows.ts`) and the state machine construct, without synthesizing
 * the whole stack: what a new ASL file must satisfy before the stack test even runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  childFlowsOf,
  FLEET_TASK_FUNCTION_ARN_KEY,
  FLOWS,
  placeholdersOf,
  stateMachineArnKey,
  TASK_FUNCTION_ARN_KEY,
} from '../../functions/domain/flows.js';
import { FlowSubstitutionError, SluiceStateMachine } from '../../lib/constructs/sluice-state-machine.js';
import { PROJECT_ROOT } from '../../lib/sluice-stack.js';

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:tasks';
const flowNamed = (name: string) => FLOWS.find((flow) => flow.name === name)!;

describe('placeholdersOf', () => {
  it('lists each ${Key} once and leaves the ${!Literal} escape alone', () => {
    expect(placeholdersOf('{"a":"${One}","b":"${Two}","c":"${One}","d":"${!Kept}","e":"$.path"}')).toEqual(['One', 'Two']);
  });
});

describe('stateMachineArnKey', () => {
  it('names the ARN placeholder of a flow in PascalCase', () => {
    expect(stateMachineArnKey('batch')).toBe('BatchStateMachineArn');
    expect(stateMachineArnKey('blue-green')).toBe('BlueGreenStateMachineArn');
  });
});

describe('FLOWS', () => {
  it('has unique names and files', () => {
    expect(new Set(FLOWS.map((flow) => flow.name)).size).toBe(FLOWS.length);
    expect(new Set(FLOWS.map((flow) => flow.file)).size).toBe(FLOWS.length);
  });

  it.each(FLOWS.map((flow) => flow.name))('%s declares only keys a stack can provide, children listed before it', (name) => {
    const flow = flowNamed(name);
    const position = FLOWS.indexOf(flow);
    for (const key of flow.substitutionKeys) {
      const child = FLOWS.findIndex((f) => stateMachineArnKey(f.name) === key);
      expect(key === TASK_FUNCTION_ARN_KEY || key === FLEET_TASK_FUNCTION_ARN_KEY || (child >= 0 && child < position), key).toBe(true);
    }
  });

  it.each(FLOWS.map((flow) => flow.name))('%s declares exactly the placeholders its file uses', (name) => {
    const flow = flowNamed(name);
    const used = placeholdersOf(readFileSync(join(PROJECT_ROOT, flow.file), 'utf8'));
    expect([...used].sort()).toEqual([...flow.substitutionKeys].sort());
  });

  it('wires children as the strategies need them, and the API starts only the top-level flows', () => {
    expect(childFlowsOf(flowNamed('rolling')).map((flow) => flow.name)).toEqual(['batch']);
    expect(
      childFlowsOf(flowNamed('canary'))
        .map((flow) => flow.name)
        .sort(),
    ).toEqual(['batch', 'canary-monitor', 'rolling']);
    expect(childFlowsOf(flowNamed('blue-green')).map((flow) => flow.name)).toEqual(['batch']);
    expect(childFlowsOf(flowNamed('batch'))).toEqual([]);
    expect(childFlowsOf(flowNamed('canary-monitor'))).toEqual([]);
    expect(childFlowsOf(flowNamed('update-run')).map((flow) => flow.name)).toEqual(['update-run-stage']);
    expect(childFlowsOf(flowNamed('update-run-stage'))).toEqual([]);
    expect(
      FLOWS.filter((flow) => 'apiEnvVar' in flow).map((flow) => [
        flow.name,
        'apiEnvVar' in flow ? flow.apiEnvVar : '',
        'startedBy' in flow ? flow.startedBy : '',
      ]),
    ).toEqual([
      ['rolling', 'ROLLING_STATE_MACHINE_ARN', 'upgrades'],
      ['canary', 'CANARY_STATE_MACHINE_ARN', 'upgrades'],
      ['blue-green', 'BLUE_GREEN_STATE_MACHINE_ARN', 'upgrades'],
      ['update-run', 'UPDATE_RUN_STATE_MACHINE_ARN', 'fleet'],
    ]);
  });

  it.each(FLOWS.map((flow) => flow.name))('%s says which API starts it exactly when it has an apiEnvVar', (name) => {
    const flow = flowNamed(name);
    expect('startedBy' in flow).toBe('apiEnvVar' in flow);
  });

  it.each(FLOWS.map((flow) => flow.name))(
    '%s invokes one task function: the fleet one for update runs, the upgrade one otherwise',
    (name) => {
      const flow = flowNamed(name);
      const keys: readonly string[] = flow.substitutionKeys;
      const isFleet = name.startsWith('update-run');
      expect(keys.includes(FLEET_TASK_FUNCTION_ARN_KEY)).toBe(isFleet);
      expect(keys.includes(TASK_FUNCTION_ARN_KEY)).toBe(!isFleet);
    },
  );

  it('lets update runs start no upgrade flow as a child (member upgrades start through the fleet task function)', () => {
    const fleetFlows = FLOWS.filter((flow) => flow.name.startsWith('update-run'));
    for (const flow of fleetFlows) {
      for (const child of childFlowsOf(flow)) expect(child.name.startsWith('update-run'), `${flow.name} → ${child.name}`).toBe(true);
    }
  });
});

describe('SluiceStateMachine', () => {
  const build = (substitutions: Record<string, string>) =>
    new SluiceStateMachine(new Stack(new App(), 'FlowProbe'), 'Batch', {
      flow: flowNamed('batch'),
      projectRoot: PROJECT_ROOT,
      substitutions,
    });

  it('builds when every placeholder of the file has a value', () => {
    expect(build({ [TASK_FUNCTION_ARN_KEY]: FUNCTION_ARN }).flow.name).toBe('batch');
  });

  it('stops synthesis when the file uses a placeholder without a value', () => {
    expect(() => build({})).toThrow(FlowSubstitutionError);
  });

  it('stops synthesis when given a key the flow does not declare', () => {
    expect(() => build({ [TASK_FUNCTION_ARN_KEY]: FUNCTION_ARN, Stray: 'x' })).toThrow(/Stray/);
  });
});
