import { createApiHandler } from '../common/http/api-handler.js';
import { lazy } from '../common/lazy.js';
import { functionLogger } from '../common/logger.js';
import { systemContracts } from '../system/contract.js';

/**
 * The OpenAPI document describes every route, so building it loads every feature's
 * schemas: done on the first request for it, not at init, so a health check's cold start
 * does not pay for it (docs/decisions/0033-sdk-through-require-and-lazy-clients.md).
 */
const openApiDocument = lazy(async () => (await import('../api/openapi.js')).buildOpenApiDocument());

/**
 * Liveness and the OpenAPI document: public, and independent of the table, so the
 * function has no data grants at all.
 */
export const handler = createApiHandler({
  group: 'system',
  contracts: systemContracts,
  setup: () => ({
    dependencies: {},
    logger: functionLogger(),
    claims: { tenant: 'tenant', roles: 'roles' },
    // Public, read-only routes: nothing to make idempotent.
    idempotency: undefined,
  }),
  operations: {
    getHealth: async () => ({ status: 'ok' }),
    getOpenApi: async () => openApiDocument(),
  },
});
