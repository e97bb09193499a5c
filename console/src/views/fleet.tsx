import { useQueries, useQuery } from '@tanstack/preact-query';
import { unwrap } from '../api.js';
import type { ViewContext } from './context.js';
import { Loading, Problem } from './parts.js';

/**
 * The fleet at a glance: for each component the tenant's services run, how many services
 * run each version, how much of the fleet is on the newest version (services and
 * instances), and which services lag behind it and why.
 */
export function FleetView({ client, session }: ViewContext) {
  const tenantId = session.tenant;
  const pipeline = useQuery({
    queryKey: ['pipeline', tenantId],
    queryFn: async () => unwrap(await client.GET('/v1/tenants/{tenantId}/upgrade-pipeline', { params: { path: { tenantId } } })),
  });
  const catalog = useQuery({
    queryKey: ['components'],
    queryFn: async () => unwrap(await client.GET('/v1/components', { params: { query: { limit: 100 } } })),
  });
  const componentIds = [
    ...new Set((pipeline.data?.services ?? []).filter((service) => service.exists).map((service) => service.componentId)),
  ].sort();
  const compliance = useQueries({
    queries: componentIds.map((componentId) => ({
      queryKey: ['compliance', tenantId, componentId],
      queryFn: async () =>
        unwrap(await client.GET('/v1/tenants/{tenantId}/compliance', { params: { path: { tenantId }, query: { componentId } } })),
    })),
  });
  const nameOf = (componentId: string) =>
    catalog.data?.items.find((component) => component.componentId === componentId)?.name ?? componentId;

  return (
    <section aria-labelledby="fleet-title">
      <h1 id="fleet-title">Fleet</h1>
      {pipeline.isPending && <Loading what="the fleet" />}
      <Problem error={pipeline.error} />
      {pipeline.data && componentIds.length === 0 && <p class="muted">No service yet.</p>}
      {componentIds.map((componentId, index) => {
        const answer = compliance[index];
        const data = answer?.data;
        const versions = data ? Object.entries(data.byVersion).sort(([a], [b]) => b.localeCompare(a, undefined, { numeric: true })) : [];
        return (
          <article key={componentId} class="component" aria-labelledby={`component-${index}`}>
            <h2 id={`component-${index}`}>{nameOf(componentId)}</h2>
            {answer?.isPending && <Loading what="compliance" />}
            <Problem error={answer?.error} />
            {data && (
              <>
                <div class="bars">
                  <label for={`services-${index}`}>
                    Services on {data.version} or newer: {data.services.compliant} of {data.services.total} ({data.services.percent}%)
                  </label>
                  <meter id={`services-${index}`} min={0} max={100} value={data.services.percent} />
                  <label for={`instances-${index}`}>
                    Instances: {data.instances.compliant} of {data.instances.total} ({data.instances.percent}%)
                  </label>
                  <meter id={`instances-${index}`} min={0} max={100} value={data.instances.percent} />
                </div>
                <table>
                  <caption>Services by version</caption>
                  <thead>
                    <tr>
                      {versions.map(([version]) => (
                        <th key={version} scope="col">
                          {version}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    <tr>
                      {versions.map(([version, count]) => (
                        <td key={version}>{count}</td>
                      ))}
                    </tr>
                  </tbody>
                </table>
                {data.laggards.length > 0 && (
                  <>
                    <h3>Laggards</h3>
                    <ul class="plain">
                      {data.laggards.map((laggard) => (
                        <li key={`${laggard.project}/${laggard.service}`}>
                          {laggard.project}/{laggard.service} on {laggard.version}: {laggard.reason}
                        </li>
                      ))}
                    </ul>
                  </>
                )}
              </>
            )}
          </article>
        );
      })}
    </section>
  );
}
