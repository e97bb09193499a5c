/**
 * Members of one run at most, and of one stage: a stage runs as one child execution whose
 * history grows by about a dozen events per member (docs/architecture.md#fleet-update-runs).
 */
export const MAX_RUN_MEMBERS = 2_000;
export const MAX_STAGE_MEMBERS = 1_000;
