import type { UpdateRuns } from '../fleet/runs.js';
import type { Strategies } from '../fleet/strategies.js';
import type { BaseSetup } from '../shared/setup.js';

export function updateRunsSetup(_base: BaseSetup, _strategies: Strategies): UpdateRuns {
  const todo = () => Promise.reject(new Error('update runs are not built yet'));
  return {
    create: todo,
    plan: todo,
    list: todo,
    get: todo,
    events: todo,
    start: todo,
    stop: todo,
    cancel: todo,
    skip: todo,
    decideGate: todo,
  };
}
