/**
 * `sluice upgrade-pipeline show`: the tenant's pipeline as a tree (roots first, each
 * service with its version, ceiling and pending validation, each step with its delay), as
 * Mermaid (`--format mermaid`, for a README or a wiki), or as the API's JSON.
 */
import type { Command } from 'commander';
import { unwrap } from '../client/index.js';
import type { paths } from '../client/schema.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { render } from '../output.js';

type Graph = paths['/v1/tenants/{tenantId}/upgrade-pipeline']['get']['responses'][200]['content']['application/json'];
type GraphService = Graph['services'][number];

const keyOf = (project: string, name: string) => `${project}/${name}`;

function describe(service: GraphService | undefined, key: string): string {
  if (!service) return `${key} (missing)`;
  const facts = [
    service.version,
    service.ceiling ? `ceiling ${service.ceiling}${service.ceilingEnforced ? '' : ' (not enforced)'}` : '',
    service.pendingValidation ? `validates ${service.pendingValidation.version} at ${service.pendingValidation.dueAt}` : '',
    service.powered ? '' : 'powered off',
  ].filter(Boolean);
  return `${key}  ${facts.join(', ')}`;
}

export function pipelineTree(graph: Graph): string {
  const services = new Map(graph.services.map((service) => [keyOf(service.project, service.name), service]));
  const children = new Map<string, { to: string; days: number }[]>();
  const hasParent = new Set<string>();
  for (const step of graph.steps) {
    const from = keyOf(step.sourceProjectName, step.sourceServiceName);
    const to = keyOf(step.destinationProjectName, step.destinationServiceName);
    children.set(from, [...(children.get(from) ?? []), { to, days: step.autoValidationDelayDays }]);
    hasParent.add(to);
  }
  const roots = [...new Set([...services.keys(), ...children.keys()])].filter((key) => !hasParent.has(key)).sort();
  if (roots.length === 0) return '(no services)';
  const lines: string[] = [];
  const walk = (key: string, prefix: string, edge: string, seen: Set<string>) => {
    lines.push(`${prefix}${edge}${describe(services.get(key), key)}`);
    if (seen.has(key)) return;
    const next = children.get(key) ?? [];
    next.forEach(({ to, days }, index) => {
      const last = index === next.length - 1;
      const childPrefix = edge === '' ? prefix : `${prefix}${edge.startsWith('└') ? '    ' : '│   '}`;
      walk(to, childPrefix, `${last ? '└' : '├'}── after ${days}d: `, new Set([...seen, key]));
    });
  };
  for (const root of roots) walk(root, '', '', new Set());
  return lines.join('\n');
}

export function pipelineMermaid(graph: Graph): string {
  const ids = new Map<string, string>();
  const id = (key: string) => {
    let value = ids.get(key);
    if (!value) {
      value = `s${ids.size}`;
      ids.set(key, value);
    }
    return value;
  };
  // Mermaid labels are quoted; a quote in a name would end the label early.
  const label = (text: string) => text.replaceAll('"', '#quot;');
  const lines = ['flowchart LR'];
  for (const service of graph.services) {
    const key = keyOf(service.project, service.name);
    const facts = [
      service.version,
      service.ceiling ? `ceiling ${service.ceiling}` : '',
      service.pendingValidation ? `validates ${service.pendingValidation.version}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(`  ${id(key)}["${label(`${key}<br/>${facts}`)}"]`);
  }
  for (const step of graph.steps) {
    const from = id(keyOf(step.sourceProjectName, step.sourceServiceName));
    const to = id(keyOf(step.destinationProjectName, step.destinationServiceName));
    lines.push(`  ${from} -->|"${step.autoValidationDelayDays}d"| ${to}`);
  }
  return lines.join('\n');
}

export function registerPipelineShow(group: Command, context: (cmd: Command) => Context): void {
  group
    .command('show')
    .description('The pipeline graph: services with version, ceiling and pending validation; steps with their delay.')
    .option('--format <format>', 'tree, mermaid (or --output json|yaml for the API answer)', 'tree')
    .addHelpText('after', '\nExample:\n  sluice upgrade-pipeline show --format mermaid > pipeline.mmd\n')
    .action(async (options: { format: string }, cmd: Command) => {
      if (!['tree', 'mermaid'].includes(options.format)) throw new UsageError(`--format must be tree or mermaid, not ${options.format}`);
      const ctx = context(cmd);
      const graph = unwrap(
        await ctx.client.GET('/v1/tenants/{tenantId}/upgrade-pipeline', { params: { path: { tenantId: ctx.tenant() } } }),
      );
      if (ctx.output !== 'table') ctx.out(render(graph, ctx.output));
      else ctx.out(options.format === 'mermaid' ? pipelineMermaid(graph) : pipelineTree(graph));
    });
}
