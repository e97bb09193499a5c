import { EventsQuery, FeedEventPage, TimelineEventPage } from '../common/feed-schemas.js';
import type { Contract } from '../common/http/api-handler.js';
import {
  ComponentScopeParams,
  CreateUpgradeBody,
  DecisionBody,
  ExecutionParams,
  InstancePage,
  ListUpgradesQuery,
  NoteBody,
  PageOnlyQuery,
  RollbackBody,
  Statistics,
  TenantParams,
  UpgradeExecution,
  UpgradePage,
} from './schemas.js';

const action = { params: ExecutionParams, body: NoteBody, status: 200, response: UpgradeExecution } as const;

export const upgradesContracts = {
  createUpgrade: { params: TenantParams, body: CreateUpgradeBody, status: 201, response: UpgradeExecution },
  listUpgrades: { params: TenantParams, query: ListUpgradesQuery, status: 200, response: UpgradePage },
  getUpgrade: { params: ExecutionParams, status: 200, response: UpgradeExecution },
  listUpgradeInstances: { params: ExecutionParams, query: PageOnlyQuery, status: 200, response: InstancePage },
  listUpgradeEvents: { params: ExecutionParams, query: EventsQuery, status: 200, response: TimelineEventPage },
  listTenantEvents: { params: TenantParams, query: EventsQuery, status: 200, response: FeedEventPage, alsoFails: [410] },
  startUpgrade: action,
  pauseUpgrade: action,
  resumeUpgrade: action,
  cancelUpgrade: action,
  rollbackUpgrade: { params: ExecutionParams, body: RollbackBody, status: 202, response: UpgradeExecution },
  promoteCanary: action,
  approveGate: { params: ExecutionParams, body: DecisionBody, status: 200, response: UpgradeExecution },
  rejectGate: { params: ExecutionParams, body: DecisionBody, status: 202, response: UpgradeExecution },
  getActiveUpgrades: { params: ComponentScopeParams, status: 200, response: UpgradePage },
  getUpgradeStatistics: { params: ComponentScopeParams, status: 200, response: Statistics },
} as const satisfies Record<string, Contract>;
