import * as z from 'zod';
import { ComponentId } from '../catalog/schemas.js';
import { TenantId } from '../common/schemas.js';
import { deferred } from '../domain/deferred.js';
import { Strategy, UpgradeKnobs } from '../domain/knobs.js';
import {
  CreateUpgradeBody,
  ExecutionId,
  ExecutionStatus,
  ListUpgradesQuery,
  PreCheck,
  RollbackInfo,
  Statistics,
  WaitingFor,
} from '../upgrades/schemas.js';

/**
 * The orchestrator-style API (`/api/v1/registry`): the same upgrade executions as
 * `/v1/tenants/{t}/upgrades`, addressed by catalog ids and answered with the field
 * names of the orchestrator's API. README, "The orchestrator-style API", has the
 * mapping field by field.
 */

/** A catalog id: a component's `componentId` or a version's `versionId` (`ver_…`). */
export const CatalogVersionId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a catalog version id');

const SLUG = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** `project/name`: which of the tenant's services of the component is meant. */
export const ServiceRef = z
  .string()
  .regex(new RegExp(`^${SLUG}/${SLUG}$`), 'a service as project/name, e.g. prod/orders-db')
  .meta({ description: 'The service as project/name, e.g. prod/orders-db.' });

export const RegistryUpgradeRequest = deferred(() => {
  const knobs = UpgradeKnobs.unwrap().shape;
  const native = CreateUpgradeBody.unwrap().shape;
  return z
    .strictObject({
      componentId: ComponentId.meta({ description: "Catalog component id; it names the tenant's service of that component." }),
      fromVersionId: CatalogVersionId.meta({ description: 'Catalog versionId of the version the service runs now.' }),
      toVersionId: CatalogVersionId.meta({ description: 'Catalog versionId of the target version.' }),
      strategy: knobs.strategy,
      canaryPercentage: knobs.canaryPercentage,
      batchSize: knobs.batchSize,
      batchDelaySeconds: knobs.batchDelaySeconds,
      healthCheckIntervalSeconds: knobs.healthCheckIntervalSeconds,
      healthCheckTimeoutSeconds: knobs.healthCheckTimeoutSeconds,
      maxUnavailablePercentage: knobs.maxUnavailablePercentage,
      totalInstances: z
        .number()
        .int()
        .min(1)
        .max(10_000)
        .optional()
        .meta({ description: "Accepted and ignored: an upgrade covers all of the service's instances (the answer's totalInstances)." }),
      autoRollbackEnabled: knobs.autoRollbackEnabled,
      failureThreshold: knobs.failureThreshold,
      initiatedBy: z
        .string()
        .max(256)
        .optional()
        .meta({ description: "Accepted and ignored: the token's subject is recorded as the initiator." }),
      installedComponents: native.installedComponents,
      /** Sluice: chooses the service when the tenant has several of the component. */
      service: ServiceRef.optional(),
      /** Sluice extensions, as on the native create. */
      stages: native.stages,
      canaryAutoPromoteSeconds: native.canaryAutoPromoteSeconds,
      autoPromotionSeconds: native.autoPromotionSeconds,
      scaleDownDelaySeconds: native.scaleDownDelaySeconds,
      gateTimeoutSeconds: native.gateTimeoutSeconds,
      onGateTimeout: native.onGateTimeout,
      allowSelfApproval: native.allowSelfApproval,
    })
    .meta({ id: 'RegistryUpgradeRequest' });
});
export type RegistryUpgradeRequest = z.infer<typeof RegistryUpgradeRequest>;

export const RegistryUpgradeExecution = deferred(() =>
  z
    .strictObject({
      executionId: ExecutionId,
      tenantId: TenantId,
      componentId: ComponentId,
      service: z.string().meta({ description: 'The service upgraded, as project/name.' }),
      fromVersionId: z.string().nullable().meta({ description: 'Catalog versionId of fromVersion (null if the catalog has none).' }),
      toVersionId: z.string().nullable(),
      fromVersion: z.string(),
      toVersion: z.string(),
      strategy: Strategy,
      status: ExecutionStatus,
      statusReason: z.string().optional(),
      canaryPercentage: z.number().int(),
      batchSize: z.number().int(),
      batchDelaySeconds: z.number().int(),
      healthCheckIntervalSeconds: z.number().int(),
      healthCheckTimeoutSeconds: z.number().int(),
      maxUnavailablePercentage: z.number().int(),
      totalInstances: z.number().int(),
      autoRollbackEnabled: z.boolean(),
      failureThreshold: z.number().int(),
      initiatedBy: z.string(),
      installedComponents: z.record(z.string(), z.string()),
      completedInstances: z.number().int(),
      failedInstances: z.number().int(),
      effectiveBatchSize: z.number().int(),
      totalBatches: z.number().int(),
      completedBatches: z.number().int(),
      preChecks: z.array(PreCheck),
      waitingFor: WaitingFor.optional(),
      rollbackInfo: RollbackInfo,
      createdAt: z.iso.datetime(),
      startedAt: z.iso.datetime().optional(),
      finishedAt: z.iso.datetime().optional(),
    })
    .meta({ id: 'RegistryUpgradeExecution' }),
);
export type RegistryUpgradeExecution = z.infer<typeof RegistryUpgradeExecution>;

export const RegistryUpgradePage = deferred(() =>
  z.strictObject({ items: z.array(RegistryUpgradeExecution), nextToken: z.string().optional() }).meta({ id: 'RegistryUpgradePage' }),
);
export const RegistryStatistics = Statistics;

export const RegistryTenantParams = deferred(() => z.strictObject({ tenantId: TenantId }));
export const RegistryExecutionParams = deferred(() => z.strictObject({ executionId: ExecutionId }));
export const RegistryComponentParams = deferred(() => z.strictObject({ componentId: ComponentId }));
export const RegistryTenantComponentParams = deferred(() => z.strictObject({ tenantId: TenantId, componentId: ComponentId }));

export const RegistryListQuery = ListUpgradesQuery;
export const RegistryActiveQuery = deferred(() =>
  z.strictObject({
    service: ServiceRef.optional().meta({ description: "Only this service's active execution (project/name)." }),
  }),
);
export const RegistryRollbackQuery = deferred(() => z.strictObject({ reason: z.string().min(1).max(1024) }));
/** The actions take no fields; an empty body, `{}` or none at all, is accepted. */
export const RegistryEmptyBody = deferred(() => z.strictObject({}));
