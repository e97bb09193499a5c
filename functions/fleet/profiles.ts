import type { CatalogRepository } from '../catalog/catalog-repository.js';
import type { Clock } from '../common/clock.js';
import { NotFoundError, ValidationError } from '../common/errors.js';
import type { Page } from '../common/pagination.js';
import { type ProfileRecord, type ProfileRepository, toProfileView } from './profile-repository.js';
import type { AutoUpgradeProfileView, CreateProfileBody, UpdateProfileBody } from './profile-schemas.js';

/** Auto-upgrade profiles (docs/architecture.md#auto-upgrade-profiles). */
export interface Profiles {
  create(tenantId: string, body: CreateProfileBody): Promise<AutoUpgradeProfileView>;
  list(tenantId: string, page: { limit: number; nextToken?: string }): Promise<Page<AutoUpgradeProfileView>>;
  get(tenantId: string, name: string): Promise<AutoUpgradeProfileView>;
  update(tenantId: string, name: string, patch: UpdateProfileBody): Promise<AutoUpgradeProfileView>;
  delete(tenantId: string, name: string): Promise<void>;
}

export interface ProfilesDeps {
  readonly profiles: ProfileRepository;
  readonly catalog: Pick<CatalogRepository, 'getComponent'>;
  /** Whether the tenant has an update strategy of that name (see {@link strategyExistsThrough}). */
  readonly strategyExists: (tenantId: string, name: string) => Promise<boolean>;
  readonly clock: Clock;
}

/**
 * The `strategyExists` port over a strategies use case whose `get` answers 404 for an
 * unknown name: found is true, `NotFoundError` is false, any other error propagates.
 */
export function strategyExistsThrough(strategies: { get(tenantId: string, name: string): Promise<unknown> }) {
  return async (tenantId: string, name: string): Promise<boolean> => {
    try {
      await strategies.get(tenantId, name);
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  };
}

export function makeProfiles({ profiles, catalog, strategyExists, clock }: ProfilesDeps): Profiles {
  const load = async (tenantId: string, name: string): Promise<ProfileRecord> => {
    const record = await profiles.get(tenantId, name);
    if (!record) throw new NotFoundError(`Auto-upgrade profile ${name} was not found.`);
    return record;
  };
  const requireStrategy = async (tenantId: string, strategyName: string) => {
    if (!(await strategyExists(tenantId, strategyName))) {
      throw new ValidationError(`The tenant has no update strategy named ${strategyName}.`, {
        errors: [{ field: 'body.strategyName', message: 'unknown update strategy' }],
      });
    }
  };

  return {
    async create(tenantId, body) {
      if (!(await catalog.getComponent(body.componentId))) {
        throw new ValidationError(`Component ${body.componentId} does not exist.`, {
          errors: [{ field: 'body.componentId', message: 'unknown component' }],
        });
      }
      await requireStrategy(tenantId, body.strategyName);
      const now = clock.now().toISOString();
      const record: ProfileRecord = {
        tenantId,
        name: body.name,
        componentId: body.componentId,
        channel: body.channel,
        strategyName: body.strategyName,
        ...(body.upgrade === undefined ? {} : { upgrade: body.upgrade }),
        emergencyForSecurity: body.emergencyForSecurity,
        disabled: body.disabled,
        createdAt: now,
        updatedAt: now,
        revision: 1,
      };
      await profiles.create(record);
      return toProfileView(record);
    },

    async list(tenantId, page) {
      const { items, nextToken } = await profiles.list(tenantId, page);
      return { items: items.map(toProfileView), ...(nextToken === undefined ? {} : { nextToken }) };
    },

    get: async (tenantId, name) => toProfileView(await load(tenantId, name)),

    async update(tenantId, name, patch) {
      const current = await load(tenantId, name);
      // Checked only when it changes: a profile whose strategy was deleted since can still be disabled.
      if (patch.strategyName !== undefined && patch.strategyName !== current.strategyName) {
        await requireStrategy(tenantId, patch.strategyName);
      }
      // A merge patch: null clears the knobs, absent keeps them, a value replaces them.
      const { upgrade: currentUpgrade, ...rest } = current;
      const upgrade = patch.upgrade === null ? undefined : (patch.upgrade ?? currentUpgrade);
      const next: ProfileRecord = {
        ...rest,
        ...(patch.channel === undefined ? {} : { channel: patch.channel }),
        ...(patch.strategyName === undefined ? {} : { strategyName: patch.strategyName }),
        ...(patch.emergencyForSecurity === undefined ? {} : { emergencyForSecurity: patch.emergencyForSecurity }),
        ...(patch.disabled === undefined ? {} : { disabled: patch.disabled }),
        ...(upgrade === undefined ? {} : { upgrade }),
        updatedAt: clock.now().toISOString(),
        revision: current.revision + 1,
      };
      await profiles.replace(next);
      return toProfileView(next);
    },

    async delete(tenantId, name) {
      await profiles.delete(tenantId, name);
    },
  };
}
