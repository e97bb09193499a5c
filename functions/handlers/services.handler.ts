import { createCatalogRepository } from '../catalog/catalog-repository.js';
import { readEnv } from '../common/env.js';
import { createApiHandler } from '../common/http/api-handler.js';
import { apiSetup } from '../common/http/api-setup.js';
import { serviceRef } from '../pipeline/graph.js';
import { createPipelineRepository } from '../pipeline/pipeline-repository.js';
import { servicesContracts } from '../services/contract.js';
import { makeServices } from '../services/service.js';
import { createServiceRepository } from '../services/service-repository.js';
import { createUpgradeRepository } from '../upgrades/upgrade-repository.js';

const keyOf = (params: { tenantId: string; projectName: string; serviceName: string }) => ({
  tenantId: params.tenantId,
  project: params.projectName,
  name: params.serviceName,
});

export const handler = createApiHandler({
  group: 'services',
  contracts: servicesContracts,
  setup: () => {
    const base = apiSetup();
    const pipeline = createPipelineRepository(base.db, base.tableName);
    const upgrades = createUpgradeRepository(base.db, base.tableName, () => base.clock.now());
    const services = makeServices({
      services: createServiceRepository(base.db, base.tableName),
      catalog: createCatalogRepository(base.db, base.tableName),
      clock: base.clock,
      lambdaTargetPattern: readEnv().SLUICE_LAMBDA_TARGET_PATTERN,
      // Deleting a service under an upgrade or inside a pipeline would strand either.
      deletionGuard: async (service) => {
        const ref = serviceRef(service.project, service.name);
        const active = (await upgrades.active(service.tenantId, service.componentId)).find(
          (e) => e.project === service.project && e.service === service.name,
        );
        if (active) return `Service ${ref} has an active upgrade (${active.executionId}); cancel it first.`;
        const steps = (await pipeline.graph(service.tenantId)).edges.filter((edge) => edge.source === ref || edge.destination === ref);
        if (steps.length > 0) return `Service ${ref} is in ${steps.length} upgrade pipeline step(s); delete the step(s) first.`;
        return undefined;
      },
    });
    return { ...base, dependencies: services };
  },
  operations: {
    createService: ({ params, body }, services) => services.create(params.tenantId, params.projectName, body),
    listServices: ({ params, query }, services) => services.list(params.tenantId, params.projectName, query),
    getService: ({ params }, services) => services.get(keyOf(params)),
    updateService: ({ params, body }, services) => services.update(keyOf(params), body),
    deleteService: async ({ params }, services) => services.delete(keyOf(params)),
  },
});
