import type { Clock } from '../common/clock.js';
import { NotFoundError, ValidationError } from '../common/errors.js';
import type { Page } from '../common/pagination.js';
import type { ReplaceStrategyBody, UpdateStrategyBody, UpdateStrategyView } from './schemas.js';
import type { StrategyRecord, StrategyRepository } from './strategy-repository.js';

/** Update strategies (docs/architecture.md#fleet-update-runs): reusable stages, groups, gates and waits. */
export interface Strategies {
  create(tenantId: string, body: UpdateStrategyBody): Promise<UpdateStrategyView>;
  list(tenantId: string, page: { limit: number; nextToken?: string }): Promise<Page<UpdateStrategyView>>;
  /** 404 when the tenant has no strategy of that name. */
  get(tenantId: string, name: string): Promise<UpdateStrategyView>;
  replace(tenantId: string, name: string, body: ReplaceStrategyBody): Promise<UpdateStrategyView>;
  delete(tenantId: string, name: string): Promise<void>;
}

/** What the API shows of a stored strategy, field by field (an item read back keeps no attribute order). */
function toView({ name, stages, createdAt, updatedAt }: StrategyRecord): UpdateStrategyView {
  return { name, stages: [...stages], createdAt, updatedAt };
}

/**
 * The strategies use case. A strategy is a template: a run created from one copies its
 * stages, so replacing or deleting a strategy never changes a run.
 */
export function makeStrategies({ repository, clock }: { repository: StrategyRepository; clock: Clock }): Strategies {
  return {
    async create(tenantId, body) {
      const now = clock.now().toISOString();
      const record: StrategyRecord = { name: body.name, stages: body.stages, createdAt: now, updatedAt: now };
      await repository.create(tenantId, record);
      return toView(record);
    },

    async list(tenantId, page) {
      const { items, nextToken } = await repository.list(tenantId, page);
      return nextToken === undefined ? { items: items.map(toView) } : { items: items.map(toView), nextToken };
    },

    async get(tenantId, name) {
      const record = await repository.get(tenantId, name);
      if (!record) throw new NotFoundError(`Update strategy ${name} was not found.`);
      return toView(record);
    },

    async replace(tenantId, name, body) {
      // The name is the strategy's key: a PUT replaces the stages, never renames.
      if (body.name !== undefined && body.name !== name) {
        throw new ValidationError(`The body names strategy ${body.name}, the path ${name}; a strategy cannot be renamed.`, {
          errors: [{ field: 'body.name', message: `must be ${name}, the strategy's name in the path (or left out)` }],
        });
      }
      return toView(await repository.replace(tenantId, name, { stages: body.stages, updatedAt: clock.now().toISOString() }));
    },

    delete: (tenantId, name) => repository.delete(tenantId, name),
  };
}
