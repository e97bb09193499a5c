/**
 * The pipeline graph's rules (docs/architecture.md#steps-and-graph-rules), pure: no I/O, so the same
 * checks serve step creation (under the per-tenant pipeline lock) and the tests.
 *
 * A service is named by its key `project/name`. An edge is one upgrade step.
 */
import { MAX_CHAIN_SERVICES } from './limits.js';

export interface Edge {
  readonly stepId: string;
  readonly source: string;
  readonly destination: string;
}

export const serviceRef = (project: string, name: string): string => `${project}/${name}`;

export type EdgeRefusal =
  | { readonly code: 'SAME_SERVICE'; readonly detail: string }
  | { readonly code: 'DESTINATION_HAS_SOURCE'; readonly detail: string; readonly stepId: string }
  | { readonly code: 'CYCLE'; readonly detail: string }
  | { readonly code: 'CHAIN_TOO_LONG'; readonly detail: string; readonly services: number };

/** Why `edge` may not join `edges`, or undefined when it may. */
export function refuseEdge(edges: readonly Edge[], edge: Pick<Edge, 'source' | 'destination'>): EdgeRefusal | undefined {
  if (edge.source === edge.destination) {
    return { code: 'SAME_SERVICE', detail: `A service cannot be its own source (${edge.source}).` };
  }
  const existing = edges.find((e) => e.destination === edge.destination);
  if (existing) {
    return {
      code: 'DESTINATION_HAS_SOURCE',
      detail: `${edge.destination} already has a source (${existing.source}, step ${existing.stepId}); a destination has exactly one source.`,
      stepId: existing.stepId,
    };
  }
  if (reaches(edges, edge.destination, edge.source)) {
    return { code: 'CYCLE', detail: `${edge.destination} already leads to ${edge.source}; the step would close a cycle.` };
  }
  const services = upstreamOf(edges, edge.source).length + 1 + 1 + downstreamDepth(edges, edge.destination);
  if (services > MAX_CHAIN_SERVICES) {
    return {
      code: 'CHAIN_TOO_LONG',
      detail: `The step would make a chain of ${services} services; the longest allowed is ${MAX_CHAIN_SERVICES} (${MAX_CHAIN_SERVICES - 1} steps).`,
      services,
    };
  }
  return undefined;
}

/** The services above `service`, nearest first (its source, its source's source, …). */
export function upstreamOf(edges: readonly Edge[], service: string): string[] {
  const chain: string[] = [];
  const seen = new Set<string>([service]);
  let current = service;
  for (;;) {
    const into = edges.find((e) => e.destination === current);
    if (!into || seen.has(into.source)) return chain;
    chain.push(into.source);
    seen.add(into.source);
    current = into.source;
  }
}

/** The services below `service`, in steps (0 when it is no source). */
export function downstreamDepth(edges: readonly Edge[], service: string, seen: ReadonlySet<string> = new Set()): number {
  let depth = 0;
  for (const e of edges) {
    if (e.source !== service || seen.has(e.destination)) continue;
    depth = Math.max(depth, 1 + downstreamDepth(edges, e.destination, new Set([...seen, service])));
  }
  return depth;
}

function reaches(edges: readonly Edge[], from: string, to: string): boolean {
  const stack = [from];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const current = stack.pop() as string;
    if (current === to) return true;
    if (seen.has(current)) continue;
    seen.add(current);
    for (const e of edges) if (e.source === current) stack.push(e.destination);
  }
  return false;
}
