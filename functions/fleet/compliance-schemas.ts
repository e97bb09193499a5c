import * as z from 'zod';
import { ComponentId, SemVer } from '../catalog/schemas.js';
import { ProjectName, ServiceName } from '../common/schemas.js';
import { deferred } from '../domain/deferred.js';

/** `GET /v1/tenants/{t}/compliance` (docs/architecture.md#compliance). */
export const ComplianceQuery = deferred(() => z.strictObject({ componentId: ComponentId, version: SemVer.optional() }));

const Share = deferred(() =>
  z.strictObject({ total: z.number().int(), compliant: z.number().int(), percent: z.number() }).meta({ id: 'ComplianceShare' }),
);

export const Compliance = deferred(() =>
  z
    .strictObject({
      componentId: ComponentId,
      /** Compliant means running this version or newer. */
      version: z.string(),
      services: Share,
      instances: Share,
      /** Services by the version they run (a service with mixed instances counts under its lowest). */
      byVersion: z.record(z.string(), z.number().int()),
      laggards: z.array(z.strictObject({ project: ProjectName, service: ServiceName, version: z.string(), reason: z.string() })),
    })
    .meta({ id: 'Compliance', description: "How much of a tenant's fleet of a component runs a version or newer." }),
);
export type ComplianceView = z.infer<typeof Compliance>;
