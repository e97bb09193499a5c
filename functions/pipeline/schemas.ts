import * as z from 'zod';
import { ComponentId } from '../catalog/schemas.js';
import { PageQuery } from '../common/pagination.js';
import { ProjectName, ServiceName, TenantId, Timestamp } from '../common/schemas.js';
import { AutoUpgradeChannel } from '../domain/channels.js';
import { deferred } from '../domain/deferred.js';
import { MaintenanceWindow } from '../services/schemas.js';

/** The auto-validation delay: whole days, default 7, from 1 to 30 (docs/architecture.md#steps-and-graph-rules). */
export const DEFAULT_DELAY_DAYS = 7;
export const MIN_DELAY_DAYS = 1;
export const MAX_DELAY_DAYS = 30;
export { MAX_CHAIN_SERVICES } from './limits.js';

export const StepId = z.string().regex(/^stp_[0-9a-z]{10,40}$/, 'not an upgrade step id');

const DelayDays = z
  .number()
  .int('a whole number of days')
  .min(MIN_DELAY_DAYS, `at least ${MIN_DELAY_DAYS} day`)
  .max(MAX_DELAY_DAYS, `at most ${MAX_DELAY_DAYS} days`);

export const LastValidation = deferred(() =>
  z
    .strictObject({
      version: z.string(),
      validatedAt: Timestamp,
      /** Who validated; empty for an automatic validation. */
      validatedByUser: z.string(),
      comment: z.string().optional(),
    })
    .meta({ id: 'LastValidation' }),
);
export type LastValidation = z.infer<typeof LastValidation>;

export const PendingValidation = deferred(() =>
  z
    .strictObject({
      version: z.string(),
      /** When the auto-validation schedule fires (the source's upgrade completion + the delay). */
      dueAt: Timestamp,
    })
    .meta({ id: 'PendingValidation' }),
);
export type PendingValidation = z.infer<typeof PendingValidation>;

export const UpgradeStep = deferred(() =>
  z
    .strictObject({
      stepId: StepId,
      sourceProjectName: ProjectName,
      sourceServiceName: ServiceName,
      destinationProjectName: ProjectName,
      destinationServiceName: ServiceName,
      autoValidationDelayDays: z.number().int(),
      createdAt: Timestamp,
      lastValidation: LastValidation.optional(),
    })
    .meta({ id: 'UpgradeStep', description: 'An upgrade step: a source service whose validated versions a destination service may take.' }),
);
export type UpgradeStepView = z.infer<typeof UpgradeStep>;

export const CreateStepBody = deferred(() =>
  z
    .strictObject({
      sourceProjectName: ProjectName,
      sourceServiceName: ServiceName,
      destinationProjectName: ProjectName,
      destinationServiceName: ServiceName,
      autoValidationDelayDays: DelayDays.default(DEFAULT_DELAY_DAYS),
    })
    .meta({ id: 'CreateUpgradeStepRequest' }),
);
export type CreateStepBody = z.infer<typeof CreateStepBody>;

const immutable = (field: string) => z.never({ error: `${field} is immutable; delete the step and create a new one` }).optional();

/** Only the delay is mutable (docs/architecture.md#steps-and-graph-rules); naming the others says so. */
export const UpdateStepBody = deferred(() =>
  z
    .strictObject({
      stepId: immutable('stepId'),
      sourceProjectName: immutable('sourceProjectName'),
      sourceServiceName: immutable('sourceServiceName'),
      destinationProjectName: immutable('destinationProjectName'),
      destinationServiceName: immutable('destinationServiceName'),
      createdAt: immutable('createdAt'),
      lastValidation: immutable('lastValidation'),
      autoValidationDelayDays: DelayDays,
    })
    .meta({ id: 'UpdateUpgradeStepRequest' }),
);
export type UpdateStepBody = z.infer<typeof UpdateStepBody>;

export const ValidationBody = deferred(() => z.strictObject({ comment: z.string().max(1024).optional() }));

export const Validation = deferred(() =>
  z
    .strictObject({
      project: ProjectName,
      service: ServiceName,
      version: z.string(),
      validatedAt: Timestamp,
      validatedByUser: z.string(),
      comment: z.string().optional(),
      /** The steps (one per destination) the validation applies to. */
      stepIds: z.array(StepId),
    })
    .meta({ id: 'Validation' }),
);
export type ValidationView = z.infer<typeof Validation>;

export const PipelineService = deferred(() =>
  z
    .strictObject({
      project: ProjectName,
      name: ServiceName,
      componentId: ComponentId,
      version: z.string(),
      powered: z.boolean(),
      autoUpgradeChannel: AutoUpgradeChannel,
      maintenanceWindow: MaintenanceWindow.optional(),
      /** The validated version a destination may not go above. */
      ceiling: z.string().optional(),
      /** False when every upstream service is powered off: the ceiling does not hold then (docs/architecture.md#powered-off-services). */
      ceilingEnforced: z.boolean(),
      /**
       * The version an added or replaced instance gets: the service's own version, which the
       * ceiling holds at or below the validated one — never the catalog's latest.
       */
      instanceVersion: z.string(),
      /** The earliest pending auto-validation of this service's version, as a source. */
      pendingValidation: PendingValidation.optional(),
      /** False when a step names a service that no longer exists. */
      exists: z.boolean(),
    })
    .meta({ id: 'PipelineService' }),
);

export const PipelineStep = deferred(() =>
  UpgradeStep.unwrap().extend({ pendingValidation: PendingValidation.optional() }).meta({ id: 'PipelineStep' }),
);

export const PipelineGraph = deferred(() =>
  z.strictObject({ services: z.array(PipelineService), steps: z.array(PipelineStep) }).meta({
    id: 'UpgradePipeline',
    description: "A tenant's pipeline graph: its services with versions and ceilings, and the steps between them.",
  }),
);
export type PipelineGraphView = z.infer<typeof PipelineGraph>;

export const TenantParams = deferred(() => z.strictObject({ tenantId: TenantId }));
export const StepParams = deferred(() => z.strictObject({ tenantId: TenantId, stepId: StepId }));
export const SourceServiceParams = deferred(() =>
  z.strictObject({ tenantId: TenantId, projectName: ProjectName, serviceName: ServiceName }),
);
export const ListStepsQuery = deferred(() => PageQuery.unwrap().strict());
export const StepPage = deferred(() =>
  z.strictObject({ items: z.array(UpgradeStep), nextToken: z.string().optional() }).meta({ id: 'UpgradeStepPage' }),
);
