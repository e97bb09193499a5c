import { createApiHandler, HtmlPage } from '../common/http/api-handler.js';
import { apiSetup } from '../common/http/api-setup.js';
import type { Principal } from '../common/http/principal.js';
import type { BaseSetup } from '../common/setup.js';
import type { UpdateRuns } from '../fleet/runs.js';
import { decisionsContracts } from '../notify/contract.js';
import { type DecisionLinks, type GateDeciders, linkActor, makeDecisionLinks } from '../notify/decision-links.js';
import { createDecisionLinkRepository } from '../notify/link-repository.js';
import { confirmationPage, decidedPage } from '../notify/pages.js';
import type { Upgrades } from '../upgrades/upgrades.js';
import { updateRunsSetup } from './update-runs-setup.js';
import { upgradesSetup } from './upgrades-setup.js';

/**
 * How a link's gate is decided: through the very decideGate of the upgrades and the update
 * runs, as an approver named after the notifier (`decision-link:<notifier>`), so every rule
 * of a decision but the self-approval one applies (a link names nobody; decision 0029).
 */
export function gateDeciders(upgrades: Upgrades, runs: UpdateRuns): GateDeciders {
  const principal = (tenantId: string, notifier: string): Principal => ({
    subject: linkActor(notifier),
    tenantId,
    roles: new Set(['approver']),
  });
  return {
    async waiting(link) {
      const { target } = link;
      try {
        if (target.kind === 'upgrade') {
          const execution = await upgrades.get(link.tenantId, target.executionId);
          return execution.status === 'IN_PROGRESS' && execution.waitingFor?.since === target.since;
        }
        const run = await runs.get(link.tenantId, target.runId);
        const gates = run.stages.flatMap((stage) => [
          ...stage.beforeGates,
          ...stage.afterGates,
          ...stage.groups.flatMap((group) => [...group.beforeGates, ...group.afterGates]),
        ]);
        return run.status === 'RUNNING' && gates.some((gate) => gate.gateId === target.gateId && gate.status === 'WAITING');
      } catch {
        return false;
      }
    },
    async decide(link, comment) {
      const { target } = link;
      const body = comment ? { comment } : {};
      const who = principal(link.tenantId, link.notifier);
      if (target.kind === 'upgrade') {
        const decided = await upgrades.decideGate(link.tenantId, target.executionId, link.decision, body, who, {
          linkId: link.linkId,
          notifier: link.notifier,
          gateIndex: target.gateIndex,
          since: target.since,
        });
        return { status: decided.status };
      }
      const decided = await runs.decideGate(link.tenantId, target.runId, target.gateId, link.decision, body, who, {
        linkId: link.linkId,
        notifier: link.notifier,
      });
      return { status: decided.status };
    },
  };
}

const noStrategies = async (): Promise<never> => {
  throw new Error('Deciding a gate reads no update strategy');
};

export function decisionLinksSetup(base: BaseSetup): DecisionLinks {
  return makeDecisionLinks({
    links: createDecisionLinkRepository(base.db, base.tableName),
    // A gate decision reads no strategy: the run's stages were resolved when it was created.
    deciders: gateDeciders(upgradesSetup(base), updateRunsSetup(base, { get: noStrategies })),
    clock: base.clock,
  });
}

/**
 * The decision links' routes (docs/decisions/0029-notifications-and-decision-links.md):
 * public, since the link's token is its authentication. GET answers a confirmation page
 * and changes nothing; POST (the page's form) decides the gate, once.
 */
export const handler = createApiHandler({
  group: 'decisions',
  contracts: decisionsContracts,
  setup: () => {
    const base = apiSetup();
    return { ...base, dependencies: decisionLinksSetup(base) };
  },
  operations: {
    getDecisionLink: async ({ query }, links) => {
      const link = await links.inspect(query.token);
      return new HtmlPage(200, confirmationPage(query.token, link), link);
    },
    useDecisionLink: async ({ body }, links) => {
      const decided = await links.use(body.token, body.comment);
      return new HtmlPage(200, decidedPage(decided), decided);
    },
  },
});
