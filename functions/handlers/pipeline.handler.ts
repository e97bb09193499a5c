import { createApiHandler } from '../common/http/api-handler.js';
import { apiSetup } from '../common/http/api-setup.js';
import { pipelineContracts } from '../pipeline/contract.js';
import { pipelineSetup } from './pipeline-setup.js';
import { pipelineUpgradeStarter } from './pipeline-starter.js';

export const handler = createApiHandler({
  group: 'pipeline',
  contracts: pipelineContracts,
  setup: () => {
    const base = apiSetup();
    return { ...base, dependencies: pipelineSetup(base, { starter: pipelineUpgradeStarter(base) }) };
  },
  operations: {
    createUpgradeStep: ({ params, body }, pipeline) => pipeline.createStep(params.tenantId, body),
    listUpgradeSteps: ({ params, query }, pipeline) => pipeline.listSteps(params.tenantId, query),
    getUpgradeStep: ({ params }, pipeline) => pipeline.getStep(params.tenantId, params.stepId),
    updateUpgradeStep: ({ params, body }, pipeline) => pipeline.updateStep(params.tenantId, params.stepId, body),
    deleteUpgradeStep: ({ params }, pipeline) => pipeline.deleteStep(params.tenantId, params.stepId),
    validateUpgrade: ({ params, body, principal }, pipeline) =>
      pipeline.validate(params.tenantId, params.projectName, params.serviceName, body.comment, principal),
    getUpgradePipeline: ({ params }, pipeline) => pipeline.view(params.tenantId),
  },
});
