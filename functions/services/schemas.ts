import * as z from 'zod';
import { ComponentId, SemVer } from '../catalog/schemas.js';
import { PageQuery } from '../common/pagination.js';
import { ProjectName, ServiceName, StorableNumber, TenantId } from '../common/schemas.js';
import { AutoUpgradeChannel } from '../domain/channels.js';
import { deferred } from '../domain/deferred.js';
import { UpgradeKnobs } from '../domain/knobs.js';
import { Labels } from './labels.js';

export const MAX_INSTANCES = 10_000;

const InstanceId = z
  .string()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9._:-]{0,126}[A-Za-z0-9])?$/, 'use 1-128 letters, digits, dots, dashes, colons and underscores');
const HttpUrl = z.url({ protocol: /^https?$/ }).max(2048);

export const Instance = deferred(() => z.strictObject({ id: InstanceId, healthUrl: HttpUrl.optional() }));
export type Instance = z.infer<typeof Instance>;
/** An instance as the API shows it: with the version it runs (kept by the upgrades, never sent). */
export const InstanceView = deferred(() => Instance.unwrap().extend({ version: z.string() }).meta({ id: 'ServiceInstance' }));

const Instances = deferred(() =>
  z
    .array(Instance)
    .max(MAX_INSTANCES)
    .superRefine((instances, ctx) => {
      const seen = new Set<string>();
      instances.forEach((instance, index) => {
        if (seen.has(instance.id)) ctx.addIssue({ code: 'custom', message: `duplicate instance id ${instance.id}`, path: [index, 'id'] });
        seen.add(instance.id);
      });
    }),
);

/** Options of a discriminated union stay eager: the document reads their discriminator values. */
const SimulatedTarget = z
  .strictObject({
    type: z.literal('simulated'),
    upgradeSeconds: StorableNumber().min(0).max(3_600).optional(),
    failInstances: z.array(InstanceId).max(MAX_INSTANCES).optional(),
    unhealthyInstances: z.array(InstanceId).max(MAX_INSTANCES).optional(),
  })
  .meta({ id: 'SimulatedTarget' });

/** The secret signs webhook calls (HMAC-SHA256). It is stored, never returned. */
const WebhookTarget = z
  .strictObject({
    type: z.literal('webhook'),
    url: z
      .url({ protocol: /^https$/ })
      .max(2048)
      // Credentials in the URL would travel in every call and show in the service's view.
      .refine((url) => {
        const parsed = new URL(url);
        return parsed.username === '' && parsed.password === '';
      }, 'the URL must not carry credentials; use the secret'),
    secret: z.string().min(16).max(256),
    timeoutSeconds: z.number().int().min(1).max(30).optional(),
  })
  .meta({ id: 'WebhookTarget' });

const LambdaTarget = z
  .strictObject({
    type: z.literal('lambda'),
    functionArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9_$-]+)?$/, 'a Lambda function ARN'),
  })
  .meta({ id: 'LambdaTarget' });

export const Target = deferred(() =>
  z
    .discriminatedUnion('type', [SimulatedTarget, WebhookTarget, LambdaTarget])
    .meta({ id: 'Target', description: 'Where the instance actions of an upgrade go.' }),
);
export type Target = z.infer<typeof Target>;

/** How a target reads back: the webhook secret is replaced by the fact that one is set. */
export const TargetView = deferred(() =>
  z
    .discriminatedUnion('type', [
      SimulatedTarget,
      WebhookTarget.omit({ secret: true })
        .extend({ secretConfigured: z.literal(true) })
        .meta({ id: 'WebhookTargetView' }),
      LambdaTarget,
    ])
    .meta({ id: 'TargetView', description: 'A target as it reads back: a webhook shows that a secret is set, never the secret.' }),
);
export type TargetView = z.infer<typeof TargetView>;

export const MaintenanceWindow = deferred(() =>
  z
    .strictObject({
      dayOfWeek: z.enum(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']),
      /** UTC hour the window opens. */
      startHour: z.number().int().min(0).max(23),
      durationHours: z.number().int().min(1).max(24),
    })
    .meta({ id: 'MaintenanceWindow', description: 'A weekly window, in UTC, in which the pipeline may start upgrades of the service.' }),
);

export const ServiceParams = deferred(() => z.strictObject({ tenantId: TenantId, projectName: ProjectName, serviceName: ServiceName }));
export const ProjectParams = deferred(() => ServiceParams.unwrap().omit({ serviceName: true }));

export const CreateServiceBody = deferred(() =>
  z
    .strictObject({
      name: ServiceName,
      componentId: ComponentId,
      version: SemVer,
      powered: z.boolean().default(true),
      instances: Instances.default([]),
      target: Target.default({ type: 'simulated' }),
      autoUpgradeChannel: AutoUpgradeChannel.default('none'),
      maintenanceWindow: MaintenanceWindow.optional(),
      defaultUpgrade: UpgradeKnobs.optional(),
      labels: Labels.default({}),
    })
    .meta({ id: 'CreateServiceRequest' }),
);
export type CreateServiceBody = z.infer<typeof CreateServiceBody>;

const immutable = (field: string) => z.never({ error: `${field} cannot be changed; delete and re-create the service` }).optional();

/**
 * A merge patch: present fields replace, `null` clears an optional one. The identity
 * fields are named explicitly so that an attempt to change them says so.
 */
export const UpdateServiceBody = deferred(() =>
  z
    .strictObject({
      name: immutable('name'),
      componentId: immutable('componentId'),
      version: z.never({ error: 'version changes only through an upgrade execution' }).optional(),
      powered: z.boolean().optional(),
      instances: Instances.optional(),
      target: Target.optional(),
      autoUpgradeChannel: AutoUpgradeChannel.optional(),
      maintenanceWindow: MaintenanceWindow.nullable().optional(),
      defaultUpgrade: UpgradeKnobs.nullable().optional(),
      /** The whole map: labels are replaced, never merged key by key; `null` clears them to `{}`. */
      labels: Labels.nullable().optional(),
    })
    .refine((body) => Object.values(body).some((value) => value !== undefined), 'send at least one field to change')
    .meta({
      id: 'UpdateServiceRequest',
      description: 'A merge patch: present fields replace, null clears maintenanceWindow, defaultUpgrade or labels.',
    }),
);
export type UpdateServiceBody = z.infer<typeof UpdateServiceBody>;

export const Service = deferred(() =>
  z
    .strictObject({
      tenantId: TenantId,
      project: ProjectName,
      name: ServiceName,
      componentId: ComponentId,
      version: z.string(),
      powered: z.boolean(),
      instances: z.array(InstanceView),
      /** True while the instances run different versions; `version` is then the lowest of them. */
      mixedVersions: z.boolean(),
      target: TargetView,
      autoUpgradeChannel: AutoUpgradeChannel,
      maintenanceWindow: MaintenanceWindow.optional(),
      defaultUpgrade: UpgradeKnobs.optional(),
      /** Always present, `{}` when none; keys in sorted order. */
      labels: Labels,
      validatedVersion: z.string().optional(),
      /** The upgrade that last completed on this service: what `rollbackOf` may name. */
      lastUpgrade: z
        .strictObject({ executionId: z.string(), fromVersion: z.string(), toVersion: z.string(), completedAt: z.iso.datetime() })
        .optional(),
      createdAt: z.iso.datetime(),
      updatedAt: z.iso.datetime(),
    })
    .meta({ id: 'Service', description: "A tenant's service: its instances, the version they run, and how it is upgraded." }),
);
export type ServiceView = z.infer<typeof Service>;

export const ServicePage = deferred(() =>
  z.strictObject({ items: z.array(Service), nextToken: z.string().optional() }).meta({ id: 'ServicePage' }),
);
export const ListServicesQuery = deferred(() => PageQuery.unwrap().strict());
