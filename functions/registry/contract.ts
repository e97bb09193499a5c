import type { Contract } from '../common/http/api-handler.js';
import {
  RegistryActiveQuery,
  RegistryComponentParams,
  RegistryEmptyBody,
  RegistryExecutionParams,
  RegistryListQuery,
  RegistryRollbackQuery,
  RegistryStatistics,
  RegistryTenantComponentParams,
  RegistryTenantParams,
  RegistryUpgradeExecution,
  RegistryUpgradePage,
  RegistryUpgradeRequest,
} from './schemas.js';

const action = { params: RegistryExecutionParams, body: RegistryEmptyBody, status: 200, response: RegistryUpgradeExecution } as const;

/** The orchestrator-style routes (`/api/v1/registry`), group `registry`. */
export const registryContracts = {
  registryCreateUpgrade: { params: RegistryTenantParams, body: RegistryUpgradeRequest, status: 201, response: RegistryUpgradeExecution },
  registryListUpgrades: { params: RegistryTenantParams, query: RegistryListQuery, status: 200, response: RegistryUpgradePage },
  registryGetUpgrade: { params: RegistryExecutionParams, status: 200, response: RegistryUpgradeExecution },
  registryStartUpgrade: action,
  registryPauseUpgrade: action,
  registryResumeUpgrade: action,
  registryCancelUpgrade: action,
  registryPromoteCanary: action,
  registryRollbackUpgrade: {
    params: RegistryExecutionParams,
    query: RegistryRollbackQuery,
    body: RegistryEmptyBody,
    status: 202,
    response: RegistryUpgradeExecution,
  },
  registryGetActiveUpgrade: {
    params: RegistryTenantComponentParams,
    query: RegistryActiveQuery,
    status: 200,
    response: RegistryUpgradeExecution,
  },
  registryGetUpgradeStatistics: { params: RegistryComponentParams, status: 200, response: RegistryStatistics },
} as const satisfies Record<string, Contract>;
