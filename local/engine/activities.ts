/**
 * Activities ("Learn about Activities in Step Functions", developer guide):
 * a Task whose Resource is an activity ARN waits until a worker takes its
 * task with GetActivityTask (a long poll of up to 60 seconds that answers an
 * empty task when nothing came), then answers it with SendTaskSuccess,
 * SendTaskFailure and SendTaskHeartbeat on the token it was given.
 */
import { SfnApiError, StatesError } from './errors.js';

/** An activity as CreateActivity made it. */
export interface ActivityRecord {
  activityArn: string;
  name: string;
  creationDate: number;
  tags?: Record<string, string>;
}

interface QueuedTask {
  token: string;
  input: string;
  onStarted: (workerName: string | undefined) => void;
}

type Poller = (task: QueuedTask | undefined) => void;

const ACTIVITY_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:activity:[^:]+$/;

/** The activities of one engine, their queued tasks and their waiting workers. */
export class ActivityBoard {
  readonly records = new Map<string, ActivityRecord>();
  private readonly queues = new Map<string, QueuedTask[]>();
  private readonly pollers = new Map<string, Poller[]>();

  /** @param pollMilliseconds how long GetActivityTask waits for a task (60 s in AWS). */
  constructor(private readonly pollMilliseconds: number) {}

  /** The record of an activity ARN; InvalidArn or ActivityDoesNotExist otherwise. */
  get(arn: string): ActivityRecord {
    if (typeof arn !== 'string' || !ACTIVITY_ARN.test(arn)) throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    const record = this.records.get(arn);
    if (record === undefined) throw new SfnApiError('ActivityDoesNotExist', `Activity Does Not Exist: '${arn}'`);
    return record;
  }

  delete(arn: string): void {
    this.get(arn);
    this.records.delete(arn);
    this.queues.delete(arn);
    for (const poller of this.pollers.get(arn)?.splice(0) ?? []) poller(undefined);
  }

  /** Hands a task to a waiting worker or queues it; returns its withdrawal. */
  schedule(arn: string, task: QueuedTask): () => void {
    if (!this.records.has(arn)) throw new StatesError('States.Runtime', `Activity Does Not Exist: '${arn}'`);
    const poller = this.pollers.get(arn)?.shift();
    if (poller !== undefined) {
      poller(task);
      return () => undefined;
    }
    const queue = this.queues.get(arn) ?? [];
    queue.push(task);
    this.queues.set(arn, queue);
    return () => {
      const i = queue.indexOf(task);
      if (i >= 0) queue.splice(i, 1);
    };
  }

  /** GetActivityTask: the oldest queued task, or the next one within the poll time, or none. */
  poll(arn: string, workerName: string | undefined, onTaken: (token: string) => void): Promise<{ taskToken?: string; input?: string }> {
    this.get(arn);
    const take = (task: QueuedTask): { taskToken: string; input: string } => {
      onTaken(task.token);
      task.onStarted(workerName);
      return { taskToken: task.token, input: task.input };
    };
    const queued = this.queues.get(arn)?.shift();
    if (queued !== undefined) return Promise.resolve(take(queued));
    return new Promise((resolve) => {
      const waiting = this.pollers.get(arn) ?? [];
      const poller: Poller = (task) => {
        clearTimeout(timer);
        resolve(task === undefined ? {} : take(task));
      };
      const timer = setTimeout(() => {
        const i = waiting.indexOf(poller);
        if (i >= 0) waiting.splice(i, 1);
        resolve({});
      }, this.pollMilliseconds);
      timer.unref();
      waiting.push(poller);
      this.pollers.set(arn, waiting);
    });
  }

  /** Answers every waiting worker with no task (the engine is closing). */
  close(): void {
    for (const waiting of this.pollers.values()) for (const poller of waiting.splice(0)) poller(undefined);
  }
}
