import { catalogContracts } from '../catalog/contract.js';
import type { Contract } from '../common/http/api-handler.js';
import type { RouteId } from '../domain/routes.js';
import { fleetContracts } from '../fleet/contract.js';
import { decisionsContracts } from '../notify/contract.js';
import { pipelineContracts } from '../pipeline/contract.js';
import { registryContracts } from '../registry/contract.js';
import { servicesContracts } from '../services/contract.js';
import { systemContracts } from '../system/contract.js';
import { upgradesContracts } from '../upgrades/contract.js';

/** Every route's contract, keyed by route id: what the OpenAPI document is made of. */
export const CONTRACTS = {
  ...systemContracts,
  ...catalogContracts,
  ...servicesContracts,
  ...upgradesContracts,
  ...pipelineContracts,
  ...registryContracts,
  ...fleetContracts,
  ...decisionsContracts,
} as const satisfies Record<RouteId, Contract>;
