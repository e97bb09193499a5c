import { createCatalogRepository } from '../catalog/catalog-repository.js';
import { NotFoundError } from '../common/errors.js';
import { createApiHandler } from '../common/http/api-handler.js';
import { apiSetup } from '../common/http/api-setup.js';
import type { Principal } from '../common/http/principal.js';
import { registryContracts } from '../registry/contract.js';
import { makeRegistry } from '../registry/registry.js';
import { createRegistryRepository } from '../registry/registry-repository.js';
import { upgradesSetup } from './upgrades-setup.js';

/**
 * The tenant of a route whose path names none (`tenantFromToken`): the token's.
 * `createApiHandler` has already answered 404 to a token without one.
 */
const tenantOf = (principal: Principal): string => {
  if (principal.tenantId === undefined) throw new NotFoundError('This token names no tenant.');
  return principal.tenantId;
};

export const handler = createApiHandler({
  group: 'registry',
  contracts: registryContracts,
  setup: () => {
    const base = apiSetup();
    const registry = makeRegistry({
      upgrades: upgradesSetup(base),
      catalog: createCatalogRepository(base.db, base.tableName),
      registry: createRegistryRepository(base.db, base.tableName),
    });
    return { ...base, dependencies: registry };
  },
  operations: {
    registryCreateUpgrade: ({ params, body, principal }, registry) => registry.create(params.tenantId, body, principal),
    registryListUpgrades: ({ params, query }, registry) => registry.list(params.tenantId, query),
    registryGetUpgrade: ({ params, principal }, registry) => registry.get(tenantOf(principal), params.executionId),
    registryStartUpgrade: ({ params, principal }, registry) => registry.act(tenantOf(principal), params.executionId, 'start', principal),
    registryPauseUpgrade: ({ params, principal }, registry) => registry.act(tenantOf(principal), params.executionId, 'pause', principal),
    registryResumeUpgrade: ({ params, principal }, registry) => registry.act(tenantOf(principal), params.executionId, 'resume', principal),
    registryCancelUpgrade: ({ params, principal }, registry) => registry.act(tenantOf(principal), params.executionId, 'cancel', principal),
    registryPromoteCanary: ({ params, principal }, registry) =>
      registry.act(tenantOf(principal), params.executionId, 'promoteCanary', principal),
    registryRollbackUpgrade: ({ params, query, principal }, registry) =>
      registry.rollback(tenantOf(principal), params.executionId, query.reason, principal),
    registryGetActiveUpgrade: ({ params, query }, registry) => registry.active(params.tenantId, params.componentId, query.service),
    registryGetUpgradeStatistics: ({ params, principal }, registry) => registry.statistics(tenantOf(principal), params.componentId),
  },
});
