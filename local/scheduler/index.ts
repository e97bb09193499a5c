export { dueTimeOf, LocalScheduler, SchedulerApiError, type DeadLetter, type LocalSchedulerOptions, type ScheduleInput, type StoredSchedule } from './scheduler.js';
export { startSchedulerServer, type SchedulerServer } from './scheduler-server.js';
