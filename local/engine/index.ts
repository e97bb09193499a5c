/**
 * Public API of the embedded Step Functions engine.
 */
export { createEngine, validateDefinition, SfnEngine } from './engine.js';
export type { EngineLogger, EngineOptions, ExecutionDescription, ExecutionStatus, StateMachineDescription } from './engine.js';
export { startSfnServer } from './sfn-server.js';
export type { SfnServer } from './sfn-server.js';
export { ManualClock, RealClock } from './clock.js';
export type { Clock } from './clock.js';
export { applySubstitutions } from './substitutions.js';
export { SfnApiError, StatesError, StatesErrors, SubstitutionError } from './errors.js';
export type { SfnErrorCode } from './errors.js';
export type { Integration, IntegrationPattern, IntegrationRequest, InvokeLambda, PutEventsEntry } from './integrations.js';
export type { ApiHistoryEvent, HistoryPageOptions } from './history.js';
export { MAX_HISTORY_EVENTS } from './history.js';
export { MAX_PAYLOAD_BYTES } from './paths.js';
