export {
  type DeadLetter,
  dueTimeOf,
  LocalScheduler,
  type LocalSchedulerOptions,
  type ScheduleInput,
  SchedulerApiError,
  type StoredSchedule,
} from './scheduler.js';
export { type SchedulerServer, startSchedulerServer } from './scheduler-server.js';
