import { makeCatalog } from '../catalog/catalog.js';
import { createCatalogRepository } from '../catalog/catalog-repository.js';
import { catalogContracts } from '../catalog/contract.js';
import { createApiHandler } from '../common/http/api-handler.js';
import { apiSetup } from '../common/http/api-setup.js';

export const handler = createApiHandler({
  group: 'catalog',
  contracts: catalogContracts,
  setup: () => {
    const base = apiSetup();
    const catalog = makeCatalog({ catalog: createCatalogRepository(base.db, base.tableName), clock: base.clock });
    return { ...base, dependencies: catalog };
  },
  operations: {
    createComponent: ({ body }, catalog) => catalog.createComponent(body),
    listComponents: ({ query }, catalog) => catalog.listComponents(query),
    getComponent: ({ params }, catalog) => catalog.getComponent(params.componentId),
    publishVersion: ({ params, body, principal }, catalog) => catalog.publishVersion(params.componentId, body, principal.subject),
    listVersions: ({ params, query }, catalog) => catalog.listVersions(params.componentId, query),
    checkUpgradePath: ({ params, query }, catalog) => catalog.checkUpgradePath(params.componentId, query.from, query.to),
  },
});
