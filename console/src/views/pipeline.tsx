import { Graph, layout } from '@dagrejs/dagre';
import { useQuery, useQueryClient } from '@tanstack/preact-query';
import { useState } from 'preact/hooks';
import { type Schemas, unwrap } from '../api.js';
import { may } from '../session.js';
import type { ViewContext } from './context.js';
import { ActionButton, Loading, Problem, TextField, when } from './parts.js';

const NODE_WIDTH = 220;
const NODE_HEIGHT = 92;
const LINE = 17;

type Service = Schemas['PipelineService'];
type Step = Schemas['PipelineStep'];

const nodeId = (project: string, name: string) => `${project}/${name}`;

interface Drawn {
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly { readonly service: Service; readonly x: number; readonly y: number }[];
  readonly edges: readonly {
    readonly step: Step;
    readonly points: readonly { x: number; y: number }[];
    readonly label: { x: number; y: number };
  }[];
}

/** Lays the graph out left to right with dagre: services as boxes, steps as edges with their delay as label. */
export function layOut(pipeline: Schemas['UpgradePipeline']): Drawn {
  const graph = new Graph({ multigraph: true });
  graph.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 120, marginx: 16, marginy: 16 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const service of pipeline.services) graph.setNode(nodeId(service.project, service.name), { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const step of pipeline.steps) {
    graph.setEdge(
      nodeId(step.sourceProjectName, step.sourceServiceName),
      nodeId(step.destinationProjectName, step.destinationServiceName),
      { width: 90, height: 20, labelpos: 'c' },
      step.stepId,
    );
  }
  layout(graph);
  const size = graph.graph();
  return {
    width: Math.max(size.width ?? 0, NODE_WIDTH),
    height: Math.max(size.height ?? 0, NODE_HEIGHT),
    nodes: pipeline.services.map((service) => {
      const placed = graph.node(nodeId(service.project, service.name));
      return { service, x: placed.x - NODE_WIDTH / 2, y: placed.y - NODE_HEIGHT / 2 };
    }),
    edges: pipeline.steps.map((step) => {
      const placed = graph.edge(
        nodeId(step.sourceProjectName, step.sourceServiceName),
        nodeId(step.destinationProjectName, step.destinationServiceName),
        step.stepId,
      );
      return { step, points: placed.points ?? [], label: { x: placed.x ?? 0, y: placed.y ?? 0 } };
    }),
  };
}

const delay = (days: number) => (days === 0 ? 'no delay' : `${days} day${days === 1 ? '' : 's'}`);

/** The tenant's upgrade pipeline: services with version, ceiling and pending validation; steps with their delay. */
export function PipelineView({ client, session }: ViewContext) {
  const key = ['pipeline', session.tenant];
  const pipeline = useQuery({
    queryKey: key,
    queryFn: async () =>
      unwrap(await client.GET('/v1/tenants/{tenantId}/upgrade-pipeline', { params: { path: { tenantId: session.tenant } } })),
  });
  if (pipeline.isPending) return <Loading what="the pipeline" />;
  if (pipeline.error || !pipeline.data) return <Problem error={pipeline.error} />;
  const drawn = layOut(pipeline.data);
  const sources = pipeline.data.services.filter((service) =>
    pipeline.data.steps.some((step) => step.sourceProjectName === service.project && step.sourceServiceName === service.name),
  );
  return (
    <section aria-labelledby="pipeline-title">
      <h1 id="pipeline-title">Upgrade pipeline</h1>
      {pipeline.data.services.length === 0 ? (
        <p class="muted">No service yet.</p>
      ) : (
        <div class="graph">
          <svg
            role="img"
            aria-labelledby="pipeline-graph-title"
            viewBox={`0 0 ${drawn.width} ${drawn.height}`}
            width={drawn.width}
            height={drawn.height}
          >
            <title id="pipeline-graph-title">
              Pipeline graph: {pipeline.data.services.length} services, {pipeline.data.steps.length} steps
            </title>
            <defs>
              <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
                <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" />
              </marker>
            </defs>
            {drawn.edges.map(({ step, points, label }) => (
              <g key={step.stepId} class="edge" data-step={step.stepId}>
                <polyline points={points.map((point) => `${point.x},${point.y}`).join(' ')} marker-end="url(#arrow)" />
                <text x={label.x} y={label.y - 6} text-anchor="middle">
                  {delay(step.autoValidationDelayDays)}
                </text>
              </g>
            ))}
            {drawn.nodes.map(({ service, x, y }) => (
              <g
                key={nodeId(service.project, service.name)}
                class={`node${service.exists ? '' : ' missing'}`}
                transform={`translate(${x},${y})`}
              >
                <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx="6" />
                <text x="10" y={LINE + 2} class="node-name">
                  {service.name}
                </text>
                <text x="10" y={LINE * 2 + 2} class="node-line">
                  {service.project} · {service.version}
                </text>
                <text x="10" y={LINE * 3 + 2} class="node-line">
                  ceiling {service.ceiling ?? 'none'}
                  {service.ceiling && !service.ceilingEnforced ? ' (not enforced)' : ''}
                </text>
                <text x="10" y={LINE * 4 + 2} class="node-line">
                  {service.pendingValidation
                    ? `validates ${service.pendingValidation.version} on ${when(service.pendingValidation.dueAt)}`
                    : 'no pending validation'}
                </text>
              </g>
            ))}
          </svg>
        </div>
      )}
      <h2>Steps</h2>
      {pipeline.data.steps.length === 0 ? (
        <p class="muted">No step yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Delay</th>
              <th scope="col">Last validation</th>
              <th scope="col">Pending</th>
            </tr>
          </thead>
          <tbody>
            {pipeline.data.steps.map((step) => (
              <tr key={step.stepId}>
                <td>{nodeId(step.sourceProjectName, step.sourceServiceName)}</td>
                <td>{nodeId(step.destinationProjectName, step.destinationServiceName)}</td>
                <td>{delay(step.autoValidationDelayDays)}</td>
                <td>
                  {step.lastValidation
                    ? `${step.lastValidation.version} by ${step.lastValidation.validatedByUser}, ${when(step.lastValidation.validatedAt)}${step.lastValidation.comment ? `: ${step.lastValidation.comment}` : ''}`
                    : '—'}
                </td>
                <td>{step.pendingValidation ? `${step.pendingValidation.version}, due ${when(step.pendingValidation.dueAt)}` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {may(session, 'validateUpgrade') && sources.length > 0 && <Validate {...{ client, session }} sources={sources} refresh={key} />}
    </section>
  );
}

function Validate({ client, session, sources, refresh }: ViewContext & { sources: readonly Service[]; refresh: readonly unknown[] }) {
  const queries = useQueryClient();
  const [comment, setComment] = useState('');
  return (
    <section aria-labelledby="validate-title">
      <h2 id="validate-title">Validate</h2>
      <p class="muted">Validating a source service's current version lets its destinations take it.</p>
      <TextField id="validate-comment" label="Comment" value={comment} onInput={setComment} />
      <ul class="plain">
        {sources.map((service) => (
          <li key={nodeId(service.project, service.name)}>
            <ActionButton
              label={`Validate ${service.project}/${service.name} ${service.version}`}
              run={async () =>
                unwrap(
                  await client.POST('/v1/tenants/{tenantId}/projects/{projectName}/services/{serviceName}/upgrade-validation', {
                    params: { path: { tenantId: session.tenant, projectName: service.project, serviceName: service.name } },
                    body: comment.trim() ? { comment: comment.trim() } : {},
                  }),
                )
              }
              then={() => {
                setComment('');
                queries.invalidateQueries({ queryKey: refresh });
              }}
            />
          </li>
        ))}
      </ul>
    </section>
  );
}
