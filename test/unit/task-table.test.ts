import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLOWS } from '../../functions/domain/flows.js';
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

const byFlow = Object.fromEntries(FLOWS.map((flow) => [flow.name, taskNames(JSON.parse(readFileSync(join(ROOT, flow.file), 'utf8')))]));
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
