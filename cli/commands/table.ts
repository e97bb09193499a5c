import type { OperationId } from '../client/operations.js';

/**
 * Every API operation's command: its words, what its positional arguments fill (path
 * parameters or body fields, in order) and one example. Flags come from the operation's
 * query parameters and body fields, in kebab-case (`--to-version`), from the generated
 * `client/operations.ts`; `--project` fills a `projectName` path parameter or a `project`
 * field. test/unit/sluice-cli.test.ts fails when an operation of the document has no
 * command here, so a new route reaches the CLI or the build says so.
 */
export interface CommandSpec {
  readonly op: OperationId;
  readonly words: readonly string[];
  readonly args?: readonly string[];
  /** Field → flag, where the field's own kebab-case is not what users type. */
  readonly flags?: Readonly<Record<string, string>>;
  readonly example: string;
  /** Replaces the summary from the document in `--help`. */
  readonly description?: string;
}

export const COMMANDS: readonly CommandSpec[] = [
  { op: 'getHealth', words: ['health'], example: 'sluice health --local' },
  { op: 'getOpenApi', words: ['openapi'], example: 'sluice openapi --output json > openapi.json' },
  {
    op: 'getDecisionLink',
    words: ['decision-link', 'show'],
    flags: { token: 'link-token' },
    example: 'sluice decision-link show --link-token sdl_…',
    description: "What a notifier's decision link would decide (it decides nothing; the link token is what follows ?token= in the link).",
  },
  {
    op: 'useDecisionLink',
    words: ['decision-link', 'use'],
    flags: { token: 'link-token' },
    example: 'sluice decision-link use --link-token sdl_… --comment "from the incident channel"',
    description: "Decide a gate through a notifier's decision link, once, without a bearer token.",
  },

  {
    op: 'createComponent',
    words: ['component', 'create'],
    args: ['name'],
    example: 'sluice component create postgres --description "PostgreSQL"',
  },
  { op: 'listComponents', words: ['component', 'list'], example: 'sluice component list --name postgres' },
  { op: 'getComponent', words: ['component', 'get'], args: ['componentId'], example: 'sluice component get cmp_1234' },
  {
    op: 'checkUpgradePath',
    words: ['component', 'upgrade-path'],
    args: ['componentId'],
    example: 'sluice component upgrade-path cmp_1234 --from 16.0.0 --to 16.2.0',
  },
  {
    op: 'publishVersion',
    words: ['version', 'publish'],
    args: ['componentId', 'version'],
    example: 'sluice version publish cmp_1234 16.1.0 --security',
  },
  { op: 'listVersions', words: ['version', 'list'], args: ['componentId'], example: 'sluice version list cmp_1234 --channel stable' },

  {
    op: 'createService',
    words: ['service', 'create'],
    args: ['name'],
    example: `sluice service create web --project shop --component-id cmp_1234 --version 16.0.0 --instances '[{"id":"i-1"},{"id":"i-2"}]'`,
  },
  { op: 'listServices', words: ['service', 'list'], example: 'sluice service list --project shop' },
  { op: 'getService', words: ['service', 'get'], args: ['serviceName'], example: 'sluice service get web --project shop' },
  {
    op: 'updateService',
    words: ['service', 'update'],
    args: ['serviceName'],
    example: `sluice service update web --project shop --no-powered --labels '{"tier":"frontend"}'`,
  },
  { op: 'deleteService', words: ['service', 'delete'], args: ['serviceName'], example: 'sluice service delete web --project shop' },

  {
    op: 'createUpgrade',
    words: ['upgrade', 'create'],
    args: ['service'],
    example: 'sluice upgrade create web --project shop --to-version 16.1.0 --strategy ROLLING --batch-size 5 --auto-rollback-enabled',
  },
  { op: 'listUpgrades', words: ['upgrade', 'list'], example: 'sluice upgrade list --status IN_PROGRESS' },
  { op: 'getUpgrade', words: ['upgrade', 'get'], args: ['executionId'], example: 'sluice upgrade get upg_0123' },
  {
    op: 'listUpgradeInstances',
    words: ['upgrade', 'instances'],
    args: ['executionId'],
    example: 'sluice upgrade instances upg_0123 --all',
  },
  {
    op: 'listUpgradeEvents',
    words: ['upgrade', 'events'],
    args: ['executionId'],
    example: 'sluice upgrade events upg_0123 --types GateWaiting,UpgradeCompleted',
  },
  { op: 'startUpgrade', words: ['upgrade', 'start'], args: ['executionId'], example: 'sluice upgrade start upg_0123' },
  {
    op: 'pauseUpgrade',
    words: ['upgrade', 'pause'],
    args: ['executionId'],
    example: 'sluice upgrade pause upg_0123 --comment "error budget"',
  },
  { op: 'resumeUpgrade', words: ['upgrade', 'resume'], args: ['executionId'], example: 'sluice upgrade resume upg_0123' },
  { op: 'cancelUpgrade', words: ['upgrade', 'cancel'], args: ['executionId'], example: 'sluice upgrade cancel upg_0123' },
  {
    op: 'rollbackUpgrade',
    words: ['upgrade', 'rollback'],
    args: ['executionId'],
    example: 'sluice upgrade rollback upg_0123 --reason "p99 latency"',
  },
  { op: 'promoteCanary', words: ['upgrade', 'promote'], args: ['executionId'], example: 'sluice upgrade promote upg_0123' },
  {
    op: 'approveGate',
    words: ['upgrade', 'approve'],
    args: ['executionId'],
    example: 'sluice upgrade approve upg_0123 --comment "canary looks good"',
  },
  {
    op: 'rejectGate',
    words: ['upgrade', 'reject'],
    args: ['executionId'],
    example: 'sluice upgrade reject upg_0123 --comment "errors in eu-1"',
  },
  { op: 'getActiveUpgrades', words: ['upgrade', 'active'], args: ['componentId'], example: 'sluice upgrade active cmp_1234' },
  { op: 'getUpgradeStatistics', words: ['upgrade', 'statistics'], args: ['componentId'], example: 'sluice upgrade statistics cmp_1234' },
  {
    op: 'listTenantEvents',
    words: ['events'],
    example: 'sluice events --types GateWaiting --wait-seconds 20',
    description: "The tenant's events feed: every upgrade's and update run's events, from a cursor (--after).",
  },

  {
    op: 'createUpgradeStep',
    words: ['upgrade-pipeline', 'step', 'create'],
    args: ['sourceServiceName', 'destinationServiceName'],
    flags: { sourceProjectName: 'source-project', destinationProjectName: 'destination-project' },
    example:
      'sluice upgrade-pipeline step create --source-project dev pg-dev --destination-project staging pg-staging --auto-validation-delay-days 3',
  },
  { op: 'listUpgradeSteps', words: ['upgrade-pipeline', 'step', 'list'], example: 'sluice upgrade-pipeline step list' },
  {
    op: 'getUpgradeStep',
    words: ['upgrade-pipeline', 'step', 'get'],
    args: ['stepId'],
    example: 'sluice upgrade-pipeline step get stp_0123',
  },
  {
    op: 'updateUpgradeStep',
    words: ['upgrade-pipeline', 'step', 'update'],
    args: ['stepId'],
    example: 'sluice upgrade-pipeline step update stp_0123 --auto-validation-delay-days 7',
  },
  {
    op: 'deleteUpgradeStep',
    words: ['upgrade-pipeline', 'step', 'delete'],
    args: ['stepId'],
    example: 'sluice upgrade-pipeline step delete stp_0123',
  },
  {
    op: 'getUpgradePipeline',
    words: ['upgrade-pipeline', 'show'],
    example: 'sluice upgrade-pipeline show --format mermaid > pipeline.mmd',
    description: 'The pipeline graph, drawn as a tree or Mermaid (cli/commands/pipeline-show.ts).',
  },
  {
    op: 'validateUpgrade',
    words: ['upgrade-pipeline', 'step', 'validate-for-service'],
    args: ['serviceName'],
    example: 'sluice upgrade-pipeline step validate-for-service --project dev pg-dev --comment "soaked a week"',
    description: "Validate the service's current version for every destination of its steps.",
  },

  {
    op: 'createUpdateStrategy',
    words: ['strategy', 'create'],
    args: ['name'],
    example: `sluice strategy create three-rings --stages @stages.yaml`,
  },
  { op: 'listUpdateStrategies', words: ['strategy', 'list'], example: 'sluice strategy list' },
  { op: 'getUpdateStrategy', words: ['strategy', 'get'], args: ['strategyName'], example: 'sluice strategy get three-rings' },
  {
    op: 'replaceUpdateStrategy',
    words: ['strategy', 'replace'],
    args: ['strategyName'],
    example: 'sluice strategy replace three-rings --stages @stages.yaml',
  },
  { op: 'deleteUpdateStrategy', words: ['strategy', 'delete'], args: ['strategyName'], example: 'sluice strategy delete three-rings' },

  {
    op: 'createUpdateRun',
    words: ['run', 'create'],
    args: ['name'],
    example: 'sluice run create pg-16.1 --component-id cmp_1234 --to-version 16.1.0 --strategy-name three-rings --dry-run',
  },
  { op: 'listUpdateRuns', words: ['run', 'list'], example: 'sluice run list --status RUNNING' },
  { op: 'getUpdateRun', words: ['run', 'get'], args: ['runId'], example: 'sluice run get run_0123' },
  { op: 'listUpdateRunEvents', words: ['run', 'events'], args: ['runId'], example: 'sluice run events run_0123' },
  { op: 'startUpdateRun', words: ['run', 'start'], args: ['runId'], example: 'sluice run start run_0123' },
  { op: 'stopUpdateRun', words: ['run', 'stop'], args: ['runId'], example: 'sluice run stop run_0123 --comment "incident"' },
  { op: 'cancelUpdateRun', words: ['run', 'cancel'], args: ['runId'], example: 'sluice run cancel run_0123' },
  {
    op: 'skipUpdateRunMember',
    words: ['run', 'skip'],
    args: ['runId', 'serviceName'],
    example: 'sluice run skip run_0123 --project shop web',
  },
  {
    op: 'approveUpdateRunGate',
    words: ['run', 'approve'],
    args: ['runId', 'gateId'],
    example: 'sluice run approve run_0123 gate-1 --comment "ring 1 healthy"',
  },
  {
    op: 'rejectUpdateRunGate',
    words: ['run', 'reject'],
    args: ['runId', 'gateId'],
    example: 'sluice run reject run_0123 gate-1 --comment "errors"',
  },

  {
    op: 'createAutoUpgradeProfile',
    words: ['auto-upgrade', 'create'],
    args: ['name'],
    example:
      'sluice auto-upgrade create pg-stable --component-id cmp_1234 --channel stable --strategy-name three-rings --emergency-for-security',
  },
  { op: 'listAutoUpgradeProfiles', words: ['auto-upgrade', 'list'], example: 'sluice auto-upgrade list' },
  { op: 'getAutoUpgradeProfile', words: ['auto-upgrade', 'get'], args: ['profileName'], example: 'sluice auto-upgrade get pg-stable' },
  {
    op: 'updateAutoUpgradeProfile',
    words: ['auto-upgrade', 'update'],
    args: ['profileName'],
    example: 'sluice auto-upgrade update pg-stable --disabled',
  },
  {
    op: 'deleteAutoUpgradeProfile',
    words: ['auto-upgrade', 'delete'],
    args: ['profileName'],
    example: 'sluice auto-upgrade delete pg-stable',
  },
  { op: 'getCompliance', words: ['compliance'], example: 'sluice compliance --component-id cmp_1234 --version 16.1.0' },

  {
    op: 'registryCreateUpgrade',
    words: ['registry', 'upgrade', 'create'],
    example: 'sluice registry upgrade create --component-id cmp_1234 --from-version-id ver_a --to-version-id ver_b --service web',
  },
  { op: 'registryListUpgrades', words: ['registry', 'upgrade', 'list'], example: 'sluice registry upgrade list' },
  {
    op: 'registryGetUpgrade',
    words: ['registry', 'upgrade', 'get'],
    args: ['executionId'],
    example: 'sluice registry upgrade get upg_0123',
  },
  {
    op: 'registryStartUpgrade',
    words: ['registry', 'upgrade', 'start'],
    args: ['executionId'],
    example: 'sluice registry upgrade start upg_0123',
  },
  {
    op: 'registryPauseUpgrade',
    words: ['registry', 'upgrade', 'pause'],
    args: ['executionId'],
    example: 'sluice registry upgrade pause upg_0123',
  },
  {
    op: 'registryResumeUpgrade',
    words: ['registry', 'upgrade', 'resume'],
    args: ['executionId'],
    example: 'sluice registry upgrade resume upg_0123',
  },
  {
    op: 'registryCancelUpgrade',
    words: ['registry', 'upgrade', 'cancel'],
    args: ['executionId'],
    example: 'sluice registry upgrade cancel upg_0123',
  },
  {
    op: 'registryPromoteCanary',
    words: ['registry', 'upgrade', 'promote'],
    args: ['executionId'],
    example: 'sluice registry upgrade promote upg_0123',
  },
  {
    op: 'registryRollbackUpgrade',
    words: ['registry', 'upgrade', 'rollback'],
    args: ['executionId'],
    example: 'sluice registry upgrade rollback upg_0123 --reason "errors"',
  },
  {
    op: 'registryGetActiveUpgrade',
    words: ['registry', 'upgrade', 'active'],
    args: ['componentId'],
    example: 'sluice registry upgrade active cmp_1234 --service web',
  },
  {
    op: 'registryGetUpgradeStatistics',
    words: ['registry', 'upgrade', 'statistics'],
    args: ['componentId'],
    example: 'sluice registry upgrade statistics cmp_1234',
  },
];

/** What each group of commands is for, with an example, for `--help` on the group. */
export const GROUPS: Readonly<Record<string, { readonly description: string; readonly example: string }>> = {
  component: { description: 'The catalog: components and their upgrade paths.', example: 'sluice component list' },
  version: { description: "A component's versions.", example: 'sluice version list cmp_1234' },
  service: { description: 'Services: instances, target, window, channel, labels.', example: 'sluice service list --project shop' },
  upgrade: { description: 'Upgrade executions of one service: create, act, watch.', example: 'sluice upgrade watch upg_0123' },
  'upgrade-pipeline': {
    description: 'The upgrade pipeline: steps between services, validation, the graph.',
    example: 'sluice upgrade-pipeline show',
  },
  'upgrade-pipeline step': {
    description: 'Upgrade steps: which service validates for which.',
    example: 'sluice upgrade-pipeline step list',
  },
  strategy: { description: 'Update strategies: reusable stages of groups, gates and waits.', example: 'sluice strategy list' },
  run: { description: 'Fleet update runs: one version across many services.', example: 'sluice run watch run_0123' },
  'auto-upgrade': { description: 'Auto-upgrade profiles: a published version starts a run.', example: 'sluice auto-upgrade list' },
  registry: { description: 'The orchestrator-style API (/api/v1/registry).', example: 'sluice registry upgrade list' },
  'registry upgrade': { description: 'Upgrades by catalog version ids.', example: 'sluice registry upgrade get upg_0123' },
  'decision-link': {
    description: "A notifier's approve/reject links of a gate: look (decides nothing), or use once.",
    example: 'sluice decision-link show --link-token sdl_…',
  },
};
