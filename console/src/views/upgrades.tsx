import { useQuery } from '@tanstack/preact-query';
import { STATUSES } from '../../../functions/domain/status.js';
import { type Schemas, unwrap } from '../api.js';
import { href, type Route } from '../route.js';
import type { ViewContext } from './context.js';
import { Loading, Problem, Status, when } from './parts.js';

/** The tenant's upgrades, newest first, filtered by status and component on the API's side (the filters are in the URL). */
export function UpgradesView({ client, session, route }: ViewContext & { route: Extract<Route, { view: 'upgrades' }> }) {
  const status = route.status as Schemas['UpgradeStatus'] | undefined;
  const upgrades = useQuery({
    queryKey: ['upgrades', session.tenant, status, route.componentId],
    queryFn: async () =>
      unwrap(
        await client.GET('/v1/tenants/{tenantId}/upgrades', {
          params: {
            path: { tenantId: session.tenant },
            query: { limit: 100, ...(status ? { status } : {}), ...(route.componentId ? { componentId: route.componentId } : {}) },
          },
        }),
      ),
  });
  const filter = (next: { status?: string | undefined; componentId?: string | undefined }) => {
    const merged = { status: route.status, componentId: route.componentId, ...next };
    window.location.hash = href({
      view: 'upgrades',
      ...(merged.status ? { status: merged.status } : {}),
      ...(merged.componentId ? { componentId: merged.componentId } : {}),
    });
  };
  return (
    <section aria-labelledby="upgrades-title">
      <h1 id="upgrades-title">Upgrades</h1>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <span class="field">
          <label for="filter-status">Status</label>
          <select
            id="filter-status"
            value={route.status ?? ''}
            onChange={(event) => filter({ status: (event.target as HTMLSelectElement).value })}
          >
            <option value="">any</option>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </span>
        <span class="field">
          <label for="filter-component">Component id</label>
          <input
            id="filter-component"
            type="text"
            value={route.componentId ?? ''}
            onChange={(event) => filter({ componentId: (event.target as HTMLInputElement).value.trim() })}
          />
        </span>
      </form>
      {upgrades.isPending && <Loading what="upgrades" />}
      <Problem error={upgrades.error} />
      {upgrades.data && upgrades.data.items.length === 0 && <p class="muted">No upgrade matches.</p>}
      {upgrades.data && upgrades.data.items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Versions</th>
              <th scope="col">Strategy</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {upgrades.data.items.map((upgrade) => (
              <tr key={upgrade.executionId}>
                <td>
                  <a href={href({ view: 'upgrade', executionId: upgrade.executionId })}>
                    {upgrade.project}/{upgrade.service}
                  </a>
                </td>
                <td>
                  {upgrade.fromVersion} → {upgrade.toVersion}
                </td>
                <td>{upgrade.strategy}</td>
                <td>
                  <Status value={upgrade.status} />
                </td>
                <td>
                  {upgrade.progress.completed}/{upgrade.progress.total}
                  {upgrade.progress.failed > 0 ? ` (${upgrade.progress.failed} failed)` : ''}
                </td>
                <td>{when(upgrade.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
