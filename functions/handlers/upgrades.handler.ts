import { createApiHandler } from '../common/http/api-handler.js';
import { apiSetup } from '../common/http/api-setup.js';
import { upgradesContracts } from '../upgrades/contract.js';
import { upgradesSetup } from './upgrades-setup.js';

export const handler = createApiHandler({
  group: 'upgrades',
  contracts: upgradesContracts,
  setup: () => {
    const base = apiSetup();
    return { ...base, dependencies: upgradesSetup(base) };
  },
  operations: {
    createUpgrade: ({ params, body, principal }, upgrades) => upgrades.create(params.tenantId, body, principal),
    listUpgrades: ({ params, query }, upgrades) => upgrades.list(params.tenantId, query),
    getUpgrade: ({ params }, upgrades) => upgrades.get(params.tenantId, params.executionId),
    listUpgradeInstances: ({ params, query }, upgrades) => upgrades.instances(params.tenantId, params.executionId, query),
    listUpgradeEvents: ({ params, query }, upgrades) => upgrades.events(params.tenantId, params.executionId, query),
    listTenantEvents: ({ params, query }, upgrades) => upgrades.tenantEvents(params.tenantId, query),
    startUpgrade: ({ params, principal }, upgrades) => upgrades.start(params.tenantId, params.executionId, principal),
    pauseUpgrade: ({ params, principal }, upgrades) => upgrades.pause(params.tenantId, params.executionId, principal),
    resumeUpgrade: ({ params, principal }, upgrades) => upgrades.resume(params.tenantId, params.executionId, principal),
    cancelUpgrade: ({ params, principal }, upgrades) => upgrades.cancel(params.tenantId, params.executionId, principal),
    rollbackUpgrade: ({ params, body, principal }, upgrades) =>
      upgrades.rollback(params.tenantId, params.executionId, body.reason, principal),
    promoteCanary: ({ params, principal }, upgrades) => upgrades.promoteCanary(params.tenantId, params.executionId, principal),
    approveGate: ({ params, body, principal }, upgrades) =>
      upgrades.decideGate(params.tenantId, params.executionId, 'approve', body, principal),
    rejectGate: ({ params, body, principal }, upgrades) =>
      upgrades.decideGate(params.tenantId, params.executionId, 'reject', body, principal),
    getActiveUpgrades: ({ params }, upgrades) => upgrades.active(params.tenantId, params.componentId),
    getUpgradeStatistics: ({ params }, upgrades) => upgrades.statistics(params.tenantId, params.componentId),
  },
});
