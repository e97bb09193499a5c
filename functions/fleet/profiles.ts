import type { Page } from '../shared/pagination.js';
import type { AutoUpgradeProfileView, CreateProfileBody, UpdateProfileBody } from './profile-schemas.js';

/** Auto-upgrade profiles (docs/architecture.md#auto-upgrade-profiles). */
export interface Profiles {
  create(tenantId: string, body: CreateProfileBody): Promise<AutoUpgradeProfileView>;
  list(tenantId: string, page: { limit: number; nextToken?: string }): Promise<Page<AutoUpgradeProfileView>>;
  get(tenantId: string, name: string): Promise<AutoUpgradeProfileView>;
  update(tenantId: string, name: string, patch: UpdateProfileBody): Promise<AutoUpgradeProfileView>;
  delete(tenantId: string, name: string): Promise<void>;
}

// TODO(helper): repository + use case.
export function makeProfiles(): Profiles {
  const todo = () => Promise.reject(new Error('auto-upgrade profiles are not built yet'));
  return { create: todo, list: todo, get: todo, update: todo, delete: todo };
}
