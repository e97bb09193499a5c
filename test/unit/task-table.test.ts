import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLEET_TASK_FUNCTION_ARN_KEY, FLOWS, TASK_FUNCTION_ARN_KEY } from '../../functions/domain/flows.js';
import { RunTaskEvent } from '../../functions/fleet/run-task-table.js';
import { TASK_TABLE, TaskEvent } from '../../functions/upgrade-tasks/task-table.js';

const ROOT = join(import.meta.dirname, '../..');

/** Every value of a `task` field anywhere in a definition (the task function's payloads). */
function taskNames(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) taskNames(item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'task' && typeof value === 'string') found.add(value);
      else taskNames(value, found);
    }
  }
  return found;
}

/** The tasks each flow that invokes function `key` sends. */
const tasksOf = (key: string) =>
  Object.fromEntries(
    FLOWS.filter((flow) => (flow.substitutionKeys as readonly string[]).includes(key)).map((flow) => [
      flow.name,
      taskNames(JSON.parse(readFileSync(join(ROOT, flow.file), 'utf8'))),
    ]),
  );
const byFlow = tasksOf(TASK_FUNCTION_ARN_KEY);
const sent = new Set(Object.values(byFlow).flatMap((names) => [...names]));

describe('the upgrade task table', () => {
  it('has a function for every task an ASL file sends', () => {
    for (const [flow, names] of Object.entries(byFlow)) {
      for (const name of names) expect(Object.keys(TASK_TABLE), `${flow} sends task ${name}`).toContain(name);
    }
  });

  it('has no function that no ASL file sends', () => {
    expect(Object.keys(TASK_TABLE).filter((name) => !sent.has(name))).toEqual([]);
    expect(sent.size).toBe(Object.keys(TASK_TABLE).length);
  });

  it('parses exactly the names of the table', () => {
    const schemaNames = TaskEvent.options.map((option) => option.shape.task.value);
    expect([...schemaNames].sort()).toEqual(Object.keys(TASK_TABLE).sort());
  });
});

describe('the update run task table', () => {
  const fleetFlows = tasksOf(FLEET_TASK_FUNCTION_ARN_KEY);
  const names = RunTaskEvent.options.map((option) => option.shape.task.value);

  it('parses exactly the tasks the update run flows send, and those flows invoke only the fleet task function', () => {
    expect(Object.keys(fleetFlows).sort()).toEqual(['update-run', 'update-run-stage']);
    expect([...new Set(Object.values(fleetFlows).flatMap((set) => [...set]))].sort()).toEqual([...names].sort());
    for (const flow of FLOWS.filter((f) => f.name in fleetFlows)) {
      expect(flow.substitutionKeys as readonly string[]).not.toContain(TASK_FUNCTION_ARN_KEY);
    }
  });
});
