import { createCatalogRepository } from '../catalog/catalog-repository.js';
import { createApiHandler } from '../shared/http/api-handler.js';
import { apiSetup } from '../shared/http/api-setup.js';
import { servicesContracts } from './contract.js';
import { createServiceRepository } from './service-repository.js';
import { makeServices } from './service.js';

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
    const services = makeServices({
      services: createServiceRepository(base.db, base.tableName),
      catalog: createCatalogRepository(base.db, base.tableName),
      clock: base.clock,
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
