import type { Principal } from '../shared/http/principal.js';
import type { Page } from '../shared/pagination.js';
import type { CreateRunBody, UpdateRunView } from './schemas.js';

export type RunSummaryView = Omit<UpdateRunView, 'stages'>;
export interface RunEventView {
  type: string;
  at: string;
  actor?: string;
  detail?: Record<string, unknown>;
}

/** Fleet update runs (docs/architecture.md#fleet-update-runs). */
export interface UpdateRuns {
  /** Creates a NOT_STARTED run; `trigger` names the auto-upgrade profile that asked for it. */
  create(
    tenantId: string,
    body: CreateRunBody,
    principal: Principal,
    options?: { trigger?: { profile: string; version: string } },
  ): Promise<UpdateRunView>;
  /** The same answer as `create`, with pre-checks and estimates, and nothing written. */
  plan(tenantId: string, body: CreateRunBody, principal: Principal): Promise<UpdateRunView>;
  list(
    tenantId: string,
    query: { limit: number; nextToken?: string; status?: string; componentId?: string },
  ): Promise<Page<RunSummaryView>>;
  get(tenantId: string, runId: string): Promise<UpdateRunView>;
  events(tenantId: string, runId: string, page: { limit: number; nextToken?: string }): Promise<Page<RunEventView>>;
  start(tenantId: string, runId: string, principal: Principal, comment?: string): Promise<UpdateRunView>;
  stop(tenantId: string, runId: string, principal: Principal, comment?: string): Promise<UpdateRunView>;
  cancel(tenantId: string, runId: string, principal: Principal, comment?: string): Promise<UpdateRunView>;
  skip(
    tenantId: string,
    runId: string,
    member: { project: string; service: string },
    principal: Principal,
    comment?: string,
  ): Promise<UpdateRunView>;
  decideGate(
    tenantId: string,
    runId: string,
    gateId: string,
    decision: 'approve' | 'reject',
    body: { comment?: string },
    principal: Principal,
  ): Promise<UpdateRunView>;
}
