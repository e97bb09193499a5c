import * as z from 'zod';
import { PageQuery } from '../common/pagination.js';
import { SafeKey } from '../common/schemas.js';
import { semver } from '../common/semver.js';
import { ReleaseChannel } from '../domain/channels.js';
import { deferred } from '../domain/deferred.js';
import { isValidVersion } from './version-policy.js';

export const ComponentId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a component id');

/** Component names are what `requires` refers to (`postgresql>=15`). */
export const ComponentName = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$/, 'use 1-63 lower-case letters, digits, dots, dashes and underscores');

export const SemVer = z.string().max(128).refine(isValidVersion, 'must be a semantic version such as 16.1.0');

export const Channel = ReleaseChannel;

export const Blocker = deferred(() =>
  z
    .strictObject({
      code: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'an UPPER_SNAKE_CASE code'),
      reason: z.string().min(1).max(1024),
    })
    .meta({ id: 'Blocker', description: 'Why a version cannot be reached, with a code a program can match.' }),
);

export const Requires = deferred(() =>
  z
    .record(
      SafeKey(ComponentName),
      z
        .string()
        .max(128)
        .refine((range) => semver.validRange(range) !== null, 'must be a semver range such as >=15 or ^3.6'),
    )
    .refine((value) => Object.keys(value).length <= 32, 'at most 32 requirements'),
);

export const Component = deferred(() =>
  z
    .strictObject({
      componentId: ComponentId,
      name: ComponentName,
      description: z.string().optional(),
      createdAt: z.iso.datetime(),
    })
    .meta({ id: 'Component', description: 'A component of the platform-wide catalog.' }),
);
export type Component = z.infer<typeof Component>;

export const CreateComponentBody = deferred(() =>
  z
    .strictObject({
      name: ComponentName,
      description: z.string().max(1024).optional(),
    })
    .meta({ id: 'CreateComponentRequest' }),
);

/**
 * One published version of a component as the version policy sees it: the one
 * definition of a version's shape; the stored `Version` adds its identifiers.
 */
export const CatalogVersion = deferred(() =>
  z.strictObject({
    version: z.string(),
    channel: Channel,
    security: z.boolean(),
    notes: z.string().optional(),
    impact: z.string().optional(),
    blockers: z.array(Blocker).optional(),
    requires: z.record(z.string(), z.string()).optional(),
  }),
);
export type CatalogVersion = z.infer<typeof CatalogVersion>;
export type Blocker = z.infer<typeof Blocker>;

export const Version = deferred(() =>
  CatalogVersion.unwrap()
    .extend({
      versionId: z.string(),
      componentId: ComponentId,
      publishedAt: z.iso.datetime(),
      publishedBy: z.string(),
    })
    .meta({ id: 'Version', description: 'A published version of a component.' }),
);
export type Version = z.infer<typeof Version>;

export const PublishVersionBody = deferred(() =>
  z
    .strictObject({
      version: SemVer,
      channel: Channel.default('stable'),
      security: z.boolean().default(false),
      notes: z.string().max(4096).optional(),
      impact: z.string().max(4096).optional(),
      blockers: z.array(Blocker).max(20).optional(),
      requires: Requires.optional(),
    })
    .refine((body) => !(body.channel === 'stable' && semver.prerelease(body.version)), {
      message: 'a pre-release version cannot be published on the stable channel',
      path: ['channel'],
    })
    .meta({ id: 'PublishVersionRequest' }),
);

export const ComponentParams = deferred(() => z.strictObject({ componentId: ComponentId }));

export const ListComponentsQuery = deferred(() => PageQuery.unwrap().extend({ name: ComponentName.optional() }).strict());
export const ListVersionsQuery = deferred(() => PageQuery.unwrap().extend({ channel: Channel.optional() }).strict());

export const UpgradePathQuery = deferred(() =>
  z.strictObject({
    from: z.string().min(1).max(128),
    to: z.string().min(1).max(128),
  }),
);

export const UpgradePathResult = deferred(() =>
  z
    .strictObject({
      allowed: z.boolean(),
      blockers: z.array(Blocker),
      impact: z.array(z.string()),
    })
    .meta({
      id: 'UpgradePath',
      description: 'Whether the version policy allows an upgrade from one version to another, and what it costs.',
    }),
);

export const ComponentPage = deferred(() =>
  z.strictObject({ items: z.array(Component), nextToken: z.string().optional() }).meta({ id: 'ComponentPage' }),
);
export const VersionPage = deferred(() =>
  z.strictObject({ items: z.array(Version), nextToken: z.string().optional() }).meta({ id: 'VersionPage' }),
);
