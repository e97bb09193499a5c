import { buildOpenApiDocument } from '../api/openapi.js';
import { createApiHandler } from '../common/http/api-handler.js';
import { functionLogger } from '../common/logger.js';
import { systemContracts } from '../system/contract.js';

/**
 * Liveness and the OpenAPI document: public, and independent of the table, so the
 * function has no data grants at all.
 */
export const handler = createApiHandler({
  group: 'system',
  contracts: systemContracts,
  setup: () => ({
    dependencies: { openApi: buildOpenApiDocument() },
    logger: functionLogger(),
    claims: { tenant: 'tenant', roles: 'roles' },
    // Public, read-only routes: nothing to make idempotent.
    idempotency: undefined,
  }),
  operations: {
    getHealth: async () => ({ status: 'ok' }),
    getOpenApi: async (_input, { openApi }) => openApi,
  },
});
