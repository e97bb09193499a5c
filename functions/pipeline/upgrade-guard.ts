import { compareVersions } from '../catalog/version-policy.js';
import { ValidationError } from '../common/errors.js';
import type { UpgradeGuard } from '../upgrades/upgrade-guard.js';
import { serviceRef, upstreamOf } from './graph.js';
import type { PipelineRepository } from './pipeline-repository.js';

export function makeUpgradeGuard({ pipeline }: { pipeline: Pick<PipelineRepository, 'graph' | 'services'> }): UpgradeGuard {
  return {
    async checkTarget(service, toVersion, versions, actor) {
      const ceiling = service.validatedVersion;
      if (ceiling === undefined || compareVersions(toVersion, ceiling) <= 0) return {};
      const { edges } = await pipeline.graph(service.tenantId);
      const upstream = upstreamOf(edges, serviceRef(service.project, service.name));
      // A ceiling left behind by a deleted step binds nothing.
      if (upstream.length === 0) return {};
      const keys = upstream.map((ref) => {
        const [project = '', name = ''] = ref.split('/');
        return { project, name };
      });
      const found = await pipeline.services(service.tenantId, keys);
      if (!found.some((upstreamService) => upstreamService.powered)) {
        return {
          event: {
            type: 'CeilingNotEnforced',
            actor,
            detail: { ceiling, toVersion, reason: `every upstream service (${upstream.join(', ')}) is powered off`, upstream },
          },
        };
      }
      if (versions.find((entry) => entry.version === toVersion)?.security) {
        return {
          event: {
            type: 'SecurityOverride',
            actor,
            detail: { ceiling, toVersion, reason: `${toVersion} is flagged security: applied before validation (emergency override)` },
          },
        };
      }
      throw new ValidationError(
        `${service.project}/${service.name} may not go above its validated version ${ceiling}: ${toVersion} has not been validated on its source (${upstream[0]}).`,
        {
          errors: [{ field: 'body.toVersion', code: 'ABOVE_VALIDATED_VERSION', message: `above the validated version ${ceiling}` }],
          extensions: { ceiling, validatedVersion: ceiling, source: upstream[0] },
        },
      );
    },
  };
}
