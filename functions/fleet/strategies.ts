import type { Page } from '../shared/pagination.js';
import type { ReplaceStrategyBody, UpdateStrategyBody, UpdateStrategyView } from './schemas.js';

/** Update strategies (docs/architecture.md#fleet-update-runs): reusable stages, groups, gates and waits. */
export interface Strategies {
  create(tenantId: string, body: UpdateStrategyBody): Promise<UpdateStrategyView>;
  list(tenantId: string, page: { limit: number; nextToken?: string }): Promise<Page<UpdateStrategyView>>;
  /** 404 when the tenant has no strategy of that name. */
  get(tenantId: string, name: string): Promise<UpdateStrategyView>;
  replace(tenantId: string, name: string, body: ReplaceStrategyBody): Promise<UpdateStrategyView>;
  delete(tenantId: string, name: string): Promise<void>;
}

// TODO(helper): repository + use case.
export function makeStrategies(): Strategies {
  const todo = () => Promise.reject(new Error('update strategies are not built yet'));
  return { create: todo, list: todo, get: todo, replace: todo, delete: todo };
}
