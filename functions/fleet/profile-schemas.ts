import * as z from 'zod';
import { ComponentId } from '../catalog/schemas.js';
import { PageQuery } from '../common/pagination.js';
import { Slug, TenantId, Timestamp } from '../common/schemas.js';
import { deferred } from '../domain/deferred.js';
import { RunUpgradeKnobs, StrategyName } from './schemas.js';

/**
 * Auto-upgrade profiles (docs/architecture.md#auto-upgrade-profiles): when a version of
 * `componentId` is published on a channel the profile admits, an update run of
 * `strategyName` is created and started in the profile's tenant.
 */
export const PROFILE_CHANNELS = ['patch', 'stable', 'rapid', 'security-only'] as const;
export const ProfileChannel = z.enum(PROFILE_CHANNELS).meta({ id: 'ProfileChannel' });
export type ProfileChannel = z.infer<typeof ProfileChannel>;

export const ProfileName = Slug;

export const CreateProfileBody = deferred(() =>
  z
    .strictObject({
      name: ProfileName,
      componentId: ComponentId,
      channel: ProfileChannel,
      strategyName: StrategyName,
      upgrade: RunUpgradeKnobs.optional(),
      emergencyForSecurity: z.boolean().default(true),
      disabled: z.boolean().default(false),
    })
    .meta({ id: 'CreateAutoUpgradeProfileRequest' }),
);
export type CreateProfileBody = z.infer<typeof CreateProfileBody>;

const immutable = (field: string) => z.never({ error: `${field} cannot be changed; delete and re-create the profile` }).optional();

/** A merge patch: present fields replace, `upgrade: null` clears the knobs. */
export const UpdateProfileBody = deferred(() =>
  z
    .strictObject({
      name: immutable('name'),
      componentId: immutable('componentId'),
      channel: ProfileChannel.optional(),
      strategyName: StrategyName.optional(),
      upgrade: RunUpgradeKnobs.nullable().optional(),
      emergencyForSecurity: z.boolean().optional(),
      disabled: z.boolean().optional(),
    })
    .refine((body) => Object.values(body).some((value) => value !== undefined), 'send at least one field to change')
    .meta({ id: 'UpdateAutoUpgradeProfileRequest', description: 'A merge patch: present fields replace, upgrade: null clears the knobs.' }),
);
export type UpdateProfileBody = z.infer<typeof UpdateProfileBody>;

export const AutoUpgradeProfile = deferred(() =>
  z
    .strictObject({
      name: ProfileName,
      componentId: ComponentId,
      channel: ProfileChannel,
      strategyName: StrategyName,
      upgrade: RunUpgradeKnobs.optional(),
      emergencyForSecurity: z.boolean(),
      disabled: z.boolean(),
      /** The last run a publish started through this profile. */
      lastRun: z.strictObject({ runId: z.string(), version: z.string(), createdAt: Timestamp }).optional(),
      createdAt: Timestamp,
      updatedAt: Timestamp,
    })
    .meta({
      id: 'AutoUpgradeProfile',
      description: 'Publishing a version of the component on an admitted channel creates and starts an update run.',
    }),
);
export type AutoUpgradeProfileView = z.infer<typeof AutoUpgradeProfile>;
export const AutoUpgradeProfilePage = deferred(() =>
  z.strictObject({ items: z.array(AutoUpgradeProfile), nextToken: z.string().optional() }).meta({ id: 'AutoUpgradeProfilePage' }),
);

export const ProfileParams = deferred(() => z.strictObject({ tenantId: TenantId, profileName: ProfileName }));
export const ListProfilesQuery = deferred(() => PageQuery.unwrap().strict());
