import { Answer, createApiHandler } from '../common/http/api-handler.js';
import { apiSetup } from '../common/http/api-setup.js';
import { fleetContracts } from '../fleet/contract.js';
import { fleetSetup } from './fleet-setup.js';

export const handler = createApiHandler({
  group: 'fleet',
  contracts: fleetContracts,
  setup: () => {
    const base = apiSetup();
    return { ...base, dependencies: fleetSetup(base) };
  },
  operations: {
    createUpdateStrategy: ({ params, body }, fleet) => fleet.strategies.create(params.tenantId, body),
    listUpdateStrategies: ({ params, query }, fleet) => fleet.strategies.list(params.tenantId, query),
    getUpdateStrategy: ({ params }, fleet) => fleet.strategies.get(params.tenantId, params.strategyName),
    replaceUpdateStrategy: ({ params, body }, fleet) => fleet.strategies.replace(params.tenantId, params.strategyName, body),
    deleteUpdateStrategy: ({ params }, fleet) => fleet.strategies.delete(params.tenantId, params.strategyName),

    createUpdateRun: async ({ params, query, body, principal }, fleet) =>
      query.dryRun
        ? new Answer(200, await fleet.runs.plan(params.tenantId, body, principal))
        : fleet.runs.create(params.tenantId, body, principal),
    listUpdateRuns: ({ params, query }, fleet) => fleet.runs.list(params.tenantId, query),
    getUpdateRun: ({ params }, fleet) => fleet.runs.get(params.tenantId, params.runId),
    listUpdateRunEvents: ({ params, query }, fleet) => fleet.runs.events(params.tenantId, params.runId, query),
    startUpdateRun: ({ params, body, principal }, fleet) => fleet.runs.start(params.tenantId, params.runId, principal, body.comment),
    stopUpdateRun: ({ params, body, principal }, fleet) => fleet.runs.stop(params.tenantId, params.runId, principal, body.comment),
    cancelUpdateRun: ({ params, body, principal }, fleet) => fleet.runs.cancel(params.tenantId, params.runId, principal, body.comment),
    skipUpdateRunMember: ({ params, body, principal }, fleet) =>
      fleet.runs.skip(params.tenantId, params.runId, { project: params.projectName, service: params.serviceName }, principal, body.comment),
    approveUpdateRunGate: ({ params, body, principal }, fleet) =>
      fleet.runs.decideGate(params.tenantId, params.runId, params.gateId, 'approve', body, principal),
    rejectUpdateRunGate: ({ params, body, principal }, fleet) =>
      fleet.runs.decideGate(params.tenantId, params.runId, params.gateId, 'reject', body, principal),

    createAutoUpgradeProfile: ({ params, body }, fleet) => fleet.profiles.create(params.tenantId, body),
    listAutoUpgradeProfiles: ({ params, query }, fleet) => fleet.profiles.list(params.tenantId, query),
    getAutoUpgradeProfile: ({ params }, fleet) => fleet.profiles.get(params.tenantId, params.profileName),
    updateAutoUpgradeProfile: ({ params, body }, fleet) => fleet.profiles.update(params.tenantId, params.profileName, body),
    deleteAutoUpgradeProfile: ({ params }, fleet) => fleet.profiles.delete(params.tenantId, params.profileName),

    getCompliance: ({ params, query }, fleet) => fleet.compliance.of(params.tenantId, query),
  },
});
