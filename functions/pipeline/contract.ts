import type { Contract } from '../common/http/api-handler.js';
import {
  CreateStepBody,
  ListStepsQuery,
  PipelineGraph,
  SourceServiceParams,
  StepPage,
  StepParams,
  TenantParams,
  UpdateStepBody,
  UpgradeStep,
  Validation,
  ValidationBody,
} from './schemas.js';

export const pipelineContracts = {
  createUpgradeStep: { params: TenantParams, body: CreateStepBody, status: 201, response: UpgradeStep },
  listUpgradeSteps: { params: TenantParams, query: ListStepsQuery, status: 200, response: StepPage },
  getUpgradeStep: { params: StepParams, status: 200, response: UpgradeStep },
  updateUpgradeStep: { params: StepParams, body: UpdateStepBody, status: 200, response: UpgradeStep },
  deleteUpgradeStep: { params: StepParams, status: 204 },
  validateUpgrade: { params: SourceServiceParams, body: ValidationBody, status: 200, response: Validation },
  getUpgradePipeline: { params: TenantParams, status: 200, response: PipelineGraph },
} as const satisfies Record<string, Contract>;
