/**
 * Public API of the embedded Step Functions engine.
 */

export type { Clock } from './clock.js';
export { ManualClock, RealClock } from './clock.js';
export type { EngineLogger, EngineOptions, ExecutionDescription, ExecutionStatus, StateMachineDescription } from './engine.js';
export { createEngine, SfnEngine, validateDefinition } from './engine.js';
export type { SfnErrorCode } from './errors.js';
export { SfnApiError, StatesError, StatesErrors, SubstitutionError } from './errors.js';
export type { ApiHistoryEvent, HistoryPageOptions } from './history.js';
export { MAX_HISTORY_EVENTS } from './history.js';
export type { Integration, IntegrationPattern, IntegrationRequest, InvokeLambda, PutEventsEntry } from './integrations.js';
export { MAX_PAYLOAD_BYTES } from './paths.js';
export type { SfnServer } from './sfn-server.js';
export { startSfnServer } from './sfn-server.js';
export { applySubstitutions } from './substitutions.js';
