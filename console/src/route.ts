import { useEffect, useState } from 'preact/hooks';

/**
 * Views by the URL's fragment (`#/upgrades/ID`): a static site needs no server-side
 * fallback for them, and a link or a reload lands on the same view.
 */
export type Route =
  | { readonly view: 'fleet' }
  | { readonly view: 'pipeline' }
  | { readonly view: 'upgrades'; readonly status?: string; readonly componentId?: string }
  | { readonly view: 'upgrade'; readonly executionId: string }
  | { readonly view: 'runs' }
  | { readonly view: 'run'; readonly runId: string };

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  if (parts[0] === 'pipeline') return { view: 'pipeline' };
  if (parts[0] === 'upgrades' && parts[1]) return { view: 'upgrade', executionId: parts[1] };
  if (parts[0] === 'upgrades') {
    const status = params.get('status') || undefined;
    const componentId = params.get('componentId') || undefined;
    return { view: 'upgrades', ...(status ? { status } : {}), ...(componentId ? { componentId } : {}) };
  }
  if (parts[0] === 'runs' && parts[1]) return { view: 'run', runId: parts[1] };
  if (parts[0] === 'runs') return { view: 'runs' };
  return { view: 'fleet' };
}

export function href(route: Route): string {
  switch (route.view) {
    case 'fleet':
    case 'pipeline':
    case 'runs':
      return `#/${route.view}`;
    case 'upgrade':
      return `#/upgrades/${encodeURIComponent(route.executionId)}`;
    case 'run':
      return `#/runs/${encodeURIComponent(route.runId)}`;
    case 'upgrades': {
      const params = new URLSearchParams();
      if (route.status) params.set('status', route.status);
      if (route.componentId) params.set('componentId', route.componentId);
      const query = params.toString();
      return `#/upgrades${query ? `?${query}` : ''}`;
    }
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}
