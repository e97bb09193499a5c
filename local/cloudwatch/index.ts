export {
  CloudWatchApiError,
  type CloudWatchErrorCode,
  INITIAL_STATE_REASON,
  LocalCloudWatch,
  type LocalCloudWatchOptions,
  STATE_VALUES,
  type StateValue,
  type StoredAlarm,
} from './alarms.js';
export { type CloudWatchServer, startCloudWatchServer } from './cloudwatch-server.js';
export { decodeQueryInput, type ParsedRequest, type Protocol, ProtocolError, parseRequest } from './protocols.js';
