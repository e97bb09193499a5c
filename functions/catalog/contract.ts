import type { Contract } from '../common/http/api-handler.js';
import {
  Component,
  ComponentPage,
  ComponentParams,
  CreateComponentBody,
  ListComponentsQuery,
  ListVersionsQuery,
  PublishVersionBody,
  UpgradePathQuery,
  UpgradePathResult,
  Version,
  VersionPage,
} from './schemas.js';

export const catalogContracts = {
  createComponent: { body: CreateComponentBody, status: 201, response: Component },
  listComponents: { query: ListComponentsQuery, status: 200, response: ComponentPage },
  getComponent: { params: ComponentParams, status: 200, response: Component },
  publishVersion: { params: ComponentParams, body: PublishVersionBody, status: 201, response: Version },
  listVersions: { params: ComponentParams, query: ListVersionsQuery, status: 200, response: VersionPage },
  checkUpgradePath: { params: ComponentParams, query: UpgradePathQuery, status: 200, response: UpgradePathResult },
} as const satisfies Record<string, Contract>;
