import { EventsQuery, TimelineEventPage } from '../common/feed-schemas.js';
import type { Contract } from '../common/http/api-handler.js';
import { Compliance, ComplianceQuery } from './compliance-schemas.js';
import {
  AutoUpgradeProfile,
  AutoUpgradeProfilePage,
  CreateProfileBody,
  ListProfilesQuery,
  ProfileParams,
  UpdateProfileBody,
} from './profile-schemas.js';
import {
  ActionBody,
  CreateRunBody,
  CreateRunQuery,
  GateDecisionBody,
  GateParams,
  ListRunsQuery,
  ListStrategiesQuery,
  MemberParams,
  ReplaceStrategyBody,
  RunParams,
  StrategyParams,
  TenantParams,
  UpdateRun,
  UpdateRunPage,
  UpdateStrategy,
  UpdateStrategyBody,
  UpdateStrategyPage,
} from './schemas.js';

export const fleetContracts = {
  createUpdateStrategy: { params: TenantParams, body: UpdateStrategyBody, status: 201, response: UpdateStrategy },
  listUpdateStrategies: { params: TenantParams, query: ListStrategiesQuery, status: 200, response: UpdateStrategyPage },
  getUpdateStrategy: { params: StrategyParams, status: 200, response: UpdateStrategy },
  replaceUpdateStrategy: { params: StrategyParams, body: ReplaceStrategyBody, status: 200, response: UpdateStrategy },
  deleteUpdateStrategy: { params: StrategyParams, status: 204 },
  createUpdateRun: {
    params: TenantParams,
    query: CreateRunQuery,
    body: CreateRunBody,
    status: 201,
    response: UpdateRun,
    alsoAnswers: { status: 200, description: 'With ?dryRun=true: the plan (pre-checks and estimates per member); nothing is created' },
  },
  listUpdateRuns: { params: TenantParams, query: ListRunsQuery, status: 200, response: UpdateRunPage },
  getUpdateRun: { params: RunParams, status: 200, response: UpdateRun },
  listUpdateRunEvents: { params: RunParams, query: EventsQuery, status: 200, response: TimelineEventPage },
  startUpdateRun: { params: RunParams, body: ActionBody, status: 200, response: UpdateRun },
  stopUpdateRun: { params: RunParams, body: ActionBody, status: 200, response: UpdateRun },
  cancelUpdateRun: { params: RunParams, body: ActionBody, status: 200, response: UpdateRun },
  skipUpdateRunMember: { params: MemberParams, body: ActionBody, status: 200, response: UpdateRun },
  approveUpdateRunGate: { params: GateParams, body: GateDecisionBody, status: 200, response: UpdateRun },
  rejectUpdateRunGate: { params: GateParams, body: GateDecisionBody, status: 200, response: UpdateRun },
  createAutoUpgradeProfile: { params: TenantParams, body: CreateProfileBody, status: 201, response: AutoUpgradeProfile },
  listAutoUpgradeProfiles: { params: TenantParams, query: ListProfilesQuery, status: 200, response: AutoUpgradeProfilePage },
  getAutoUpgradeProfile: { params: ProfileParams, status: 200, response: AutoUpgradeProfile },
  updateAutoUpgradeProfile: { params: ProfileParams, body: UpdateProfileBody, status: 200, response: AutoUpgradeProfile },
  deleteAutoUpgradeProfile: { params: ProfileParams, status: 204 },
  // A version not in the catalog, or a component with none published, is a rule the query breaks.
  getCompliance: { params: TenantParams, query: ComplianceQuery, status: 200, response: Compliance, alsoFails: [422] },
} as const satisfies Record<string, Contract>;
