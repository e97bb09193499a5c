/**
 * Embedded CloudWatch alarms: metric alarms kept in memory (and on disk with
 * `persistDir`), with the fields and the errors of PutMetricAlarm, DescribeAlarms,
 * SetAlarmState and DeleteAlarms. It knows alarms, not Sluice.
 *
 * Deliberate limits: there are no metrics, so nothing is evaluated — a new alarm starts
 * in INSUFFICIENT_DATA, as in AWS, and changes state only through SetAlarmState (which is
 * what tests and demos need). No actions run, there are no composite alarms and no alarm
 * history, and tags are accepted but not kept. SigV4 is not checked.
 */

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonFileStore } from '../json-file-store.js';

/** The error codes this endpoint answers, as the AWS Query protocol names them. */
export type CloudWatchErrorCode =
  | 'ResourceNotFound'
  | 'InvalidParameterValue'
  | 'InvalidParameterCombination'
  | 'MissingParameter'
  | 'ValidationError'
  | 'InvalidNextToken'
  | 'InvalidFormat';

/** Per code, its HTTP status and its shape in the service model (the AWS JSON protocol's `__type`). */
const ERRORS: Record<CloudWatchErrorCode, { status: number; shape: string }> = {
  ResourceNotFound: { status: 404, shape: 'ResourceNotFound' },
  InvalidParameterValue: { status: 400, shape: 'InvalidParameterValueException' },
  InvalidParameterCombination: { status: 400, shape: 'InvalidParameterCombinationException' },
  MissingParameter: { status: 400, shape: 'MissingRequiredParameterException' },
  ValidationError: { status: 400, shape: 'ValidationException' },
  InvalidNextToken: { status: 400, shape: 'InvalidNextToken' },
  InvalidFormat: { status: 400, shape: 'InvalidFormatFault' },
};

export class CloudWatchApiError extends Error {
  constructor(
    readonly code: CloudWatchErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  /** The error's shape name in the service model (`@aws-sdk/client-cloudwatch` names its exception class so). */
  get shape(): string {
    return ERRORS[this.code].shape;
  }
}

export const STATE_VALUES = ['INSUFFICIENT_DATA', 'ALARM', 'OK'] as const;
export type StateValue = (typeof STATE_VALUES)[number];

const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'];
const COMPARISON_OPERATORS = [
  'GreaterThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
  'LessThanLowerOrGreaterThanUpperThreshold',
  'LessThanLowerThreshold',
  'GreaterThanUpperThreshold',
];
const UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
];
const TREAT_MISSING_DATA = ['breaching', 'notBreaching', 'ignore', 'missing'];
const ALARM_TYPES = ['CompositeAlarm', 'MetricAlarm'];
/** The reason AWS gives a new alarm. */
export const INITIAL_STATE_REASON = 'Unchecked: Initial alarm creation';

export interface Dimension {
  Name: string;
  Value: string;
}

/** A metric alarm as DescribeAlarms answers it (timestamps as epoch milliseconds). */
export interface StoredAlarm {
  AlarmName: string;
  AlarmArn: string;
  AlarmDescription?: string;
  AlarmConfigurationUpdatedTimestamp: number;
  ActionsEnabled: boolean;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  StateValue: StateValue;
  StateReason: string;
  StateReasonData?: string;
  StateUpdatedTimestamp: number;
  StateTransitionedTimestamp: number;
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Dimensions?: Dimension[];
  Period?: number;
  Unit?: string;
  EvaluationPeriods?: number;
  DatapointsToAlarm?: number;
  Threshold?: number;
  ComparisonOperator?: string;
  TreatMissingData?: string;
  EvaluateLowSampleCountPercentile?: string;
  /** Metric math or a Metrics Insights query: kept as given. */
  Metrics?: unknown[];
  ThresholdMetricId?: string;
  /** A PromQL alarm's criteria: kept as given. */
  EvaluationCriteria?: unknown;
  EvaluationInterval?: number;
}

/** The timestamp fields of {@link StoredAlarm}: each protocol writes them its own way. */
export const TIMESTAMP_FIELDS = new Set(['AlarmConfigurationUpdatedTimestamp', 'StateUpdatedTimestamp', 'StateTransitionedTimestamp']);

export interface LocalCloudWatchOptions {
  /** Keep alarms in `<persistDir>/alarms.json`. */
  readonly persistDir?: string;
  readonly region?: string;
  readonly accountId?: string;
}

type Input = Record<string, unknown>;

/** Coral's way of naming a member in a validation message: `StateValue` → `stateValue`. */
const memberName = (field: string) => field.charAt(0).toLowerCase() + field.slice(1);

/**
 * Reads the fields of one request and collects what breaks the model's constraints, to
 * throw them together as AWS does: `2 validation errors detected: Value 'X' at
 * 'stateValue' failed to satisfy constraint: …; …`. A missing required field is thrown
 * at once, as its own MissingParameter.
 */
class Fields {
  private readonly problems: string[] = [];

  constructor(private readonly input: Input) {}

  has(field: string): boolean {
    return this.input[field] !== undefined && this.input[field] !== null;
  }

  private violates(field: string, value: unknown, constraint: string): undefined {
    const shown = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
    this.problems.push(`Value ${shown} at '${memberName(field)}' failed to satisfy constraint: ${constraint}`);
    return undefined;
  }

  /** Throws MissingParameter when `field` is absent. */
  require(field: string): void {
    if (!this.has(field)) throw new CloudWatchApiError('MissingParameter', `The parameter ${field} is required.`);
  }

  /**
   * A required field, read by `read`. What `read` finds wrong is collected: the value is
   * only used after {@link check}.
   */
  required<T>(field: string, read: (field: string) => T | undefined): T {
    this.require(field);
    return read(field) as T;
  }

  string(field: string, limits: { min?: number; max: number; values?: readonly string[] }): string | undefined {
    const value = this.input[field];
    if (!this.has(field)) return undefined;
    if (typeof value !== 'string') return this.violates(field, value, 'Member must be a string');
    if (limits.values && !limits.values.includes(value))
      return this.violates(field, value, `Member must satisfy enum value set: [${limits.values.join(', ')}]`);
    if (value.length < (limits.min ?? 0))
      return this.violates(field, value, `Member must have length greater than or equal to ${limits.min}`);
    if (value.length > limits.max) return this.violates(field, value, `Member must have length less than or equal to ${limits.max}`);
    return value;
  }

  number(field: string, limits: { integer?: boolean; min?: number; max?: number } = {}): number | undefined {
    const value = this.input[field];
    if (!this.has(field)) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || (limits.integer && !Number.isInteger(value)))
      return this.violates(field, value, `Member must be ${limits.integer ? 'an integer' : 'a number'}`);
    if (limits.min !== undefined && value < limits.min)
      return this.violates(field, value, `Member must have value greater than or equal to ${limits.min}`);
    if (limits.max !== undefined && value > limits.max)
      return this.violates(field, value, `Member must have value less than or equal to ${limits.max}`);
    return value;
  }

  boolean(field: string): boolean | undefined {
    const value = this.input[field];
    if (!this.has(field)) return undefined;
    if (typeof value !== 'boolean') return this.violates(field, value, 'Member must be a boolean');
    return value;
  }

  list<T>(field: string, limits: { max?: number }, item: (value: unknown) => T | undefined): T[] | undefined {
    const value = this.input[field];
    if (!this.has(field)) return undefined;
    if (!Array.isArray(value)) return this.violates(field, value, 'Member must be a list');
    if (limits.max !== undefined && value.length > limits.max)
      return this.violates(field, value, `Member must have length less than or equal to ${limits.max}`);
    const items = value.map(item);
    if (items.some((entry) => entry === undefined)) return this.violates(field, value, 'Member must be a list of valid items');
    return items as T[];
  }

  /** A structure or list of structures kept as given: only its shape is checked. */
  opaque(field: string, shape: 'list' | 'structure'): unknown {
    const value = this.input[field];
    if (!this.has(field)) return undefined;
    const fits = shape === 'list' ? Array.isArray(value) : typeof value === 'object' && !Array.isArray(value);
    return fits ? value : this.violates(field, value, `Member must be a ${shape}`);
  }

  /** Throws the problems collected so far, if any, as one ValidationError. */
  check(): void {
    const count = this.problems.length;
    if (count === 0) return;
    throw new CloudWatchApiError(
      'ValidationError',
      `${count} validation error${count === 1 ? '' : 's'} detected: ${this.problems.join('; ')}`,
    );
  }
}

const nameString = (value: unknown) => (typeof value === 'string' && value.length >= 1 && value.length <= 255 ? value : undefined);
const actionArn = (value: unknown) => (typeof value === 'string' && value.length >= 1 && value.length <= 1024 ? value : undefined);
const dimension = (value: unknown): Dimension | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const { Name, Value } = value as Record<string, unknown>;
  return nameString(Name) && typeof Value === 'string' && Value.length >= 1 && Value.length <= 1024
    ? { Name: Name as string, Value }
    : undefined;
};

export class LocalCloudWatch {
  private readonly alarms = new Map<string, StoredAlarm>();
  private readonly region: string;
  private readonly accountId: string;
  private readonly store: JsonFileStore;

  private constructor(options: LocalCloudWatchOptions) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.store = new JsonFileStore(options.persistDir, 'alarms.json', () => ({ alarms: [...this.alarms.values()] }));
  }

  /** Creates the endpoint's state, loading persisted alarms first. */
  static async create(options: LocalCloudWatchOptions = {}): Promise<LocalCloudWatch> {
    const cloudwatch = new LocalCloudWatch(options);
    if (options.persistDir) {
      await mkdir(options.persistDir, { recursive: true });
      const text = await readFile(join(options.persistDir, 'alarms.json'), 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (text !== undefined) {
        const saved = JSON.parse(text) as { alarms?: StoredAlarm[] };
        for (const alarm of saved.alarms ?? []) cloudwatch.alarms.set(alarm.AlarmName, alarm);
      }
    }
    return cloudwatch;
  }

  /**
   * Creates an alarm in INSUFFICIENT_DATA, or replaces an existing alarm's whole
   * configuration and leaves its state as it is (as AWS does).
   */
  putMetricAlarm(input: Input): Record<string, never> {
    const fields = new Fields(input);
    const name = fields.required('AlarmName', (field) => fields.string(field, { min: 1, max: 255 }));
    const promql = fields.has('EvaluationCriteria');
    if (!promql) {
      fields.require('EvaluationPeriods');
      fields.require('ComparisonOperator');
    }
    const config = {
      AlarmDescription: fields.string('AlarmDescription', { max: 1024 }),
      ActionsEnabled: fields.boolean('ActionsEnabled'),
      OKActions: fields.list('OKActions', { max: 5 }, actionArn),
      AlarmActions: fields.list('AlarmActions', { max: 5 }, actionArn),
      InsufficientDataActions: fields.list('InsufficientDataActions', { max: 5 }, actionArn),
      MetricName: fields.string('MetricName', { min: 1, max: 255 }),
      Namespace: fields.string('Namespace', { min: 1, max: 255 }),
      Statistic: fields.string('Statistic', { max: 255, values: STATISTICS }),
      ExtendedStatistic: fields.string('ExtendedStatistic', { min: 1, max: 255 }),
      Dimensions: fields.list('Dimensions', { max: 30 }, dimension),
      Period: fields.number('Period', { integer: true, min: 1 }),
      Unit: fields.string('Unit', { max: 255, values: UNITS }),
      EvaluationPeriods: fields.number('EvaluationPeriods', { integer: true, min: 1 }),
      DatapointsToAlarm: fields.number('DatapointsToAlarm', { integer: true, min: 1 }),
      Threshold: fields.number('Threshold'),
      ComparisonOperator: fields.string('ComparisonOperator', { max: 255, values: COMPARISON_OPERATORS }),
      TreatMissingData: fields.string('TreatMissingData', { min: 1, max: 255 }),
      EvaluateLowSampleCountPercentile: fields.string('EvaluateLowSampleCountPercentile', { min: 1, max: 255 }),
      Metrics: fields.opaque('Metrics', 'list') as unknown[] | undefined,
      ThresholdMetricId: fields.string('ThresholdMetricId', { min: 1, max: 255 }),
      EvaluationCriteria: fields.opaque('EvaluationCriteria', 'structure'),
      EvaluationInterval: fields.number('EvaluationInterval', { integer: true, min: 10, max: 3600 }),
    };
    fields.list('Tags', {}, (tag) => tag);
    fields.check();

    if (config.MetricName !== undefined && config.Metrics !== undefined)
      throw new CloudWatchApiError('InvalidParameterCombination', 'The parameters MetricName and Metrics are mutually exclusive.');
    if (config.Statistic !== undefined && config.ExtendedStatistic !== undefined)
      throw new CloudWatchApiError('InvalidParameterCombination', 'The parameters Statistic and ExtendedStatistic are mutually exclusive.');
    if (config.MetricName === undefined && config.Metrics === undefined && !promql)
      throw new CloudWatchApiError('ValidationError', 'MetricName must not be null');
    if (config.MetricName !== undefined && config.Namespace === undefined)
      throw new CloudWatchApiError('ValidationError', 'Namespace must not be null');
    if (config.TreatMissingData !== undefined && !TREAT_MISSING_DATA.includes(config.TreatMissingData))
      throw new CloudWatchApiError(
        'ValidationError',
        `The value ${config.TreatMissingData} is not supported for TreatMissingData parameter. Supported values are [${TREAT_MISSING_DATA.join(', ')}].`,
      );
    if (config.Period !== undefined && config.Period !== 10 && config.Period !== 30 && config.Period % 60 !== 0)
      throw new CloudWatchApiError('ValidationError', 'Period must be 10, 30 or a multiple of 60');

    const now = Date.now();
    const existing = this.alarms.get(name);
    const given = Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined));
    const alarm: StoredAlarm = {
      ...(config.Metrics === undefined && !promql ? { Dimensions: [] } : {}),
      ...given,
      AlarmName: name,
      AlarmArn: `arn:aws:cloudwatch:${this.region}:${this.accountId}:alarm:${name}`,
      AlarmConfigurationUpdatedTimestamp: now,
      ActionsEnabled: config.ActionsEnabled ?? true,
      OKActions: config.OKActions ?? [],
      AlarmActions: config.AlarmActions ?? [],
      InsufficientDataActions: config.InsufficientDataActions ?? [],
      StateValue: existing?.StateValue ?? 'INSUFFICIENT_DATA',
      StateReason: existing?.StateReason ?? INITIAL_STATE_REASON,
      ...(existing?.StateReasonData === undefined ? {} : { StateReasonData: existing.StateReasonData }),
      StateUpdatedTimestamp: existing?.StateUpdatedTimestamp ?? now,
      StateTransitionedTimestamp: existing?.StateTransitionedTimestamp ?? now,
    };
    this.alarms.set(name, alarm);
    this.store.save();
    return {};
  }

  /**
   * The alarms whose every given filter matches, sorted by name, one page at a time
   * (`MaxRecords`, 50 by default, at most 100; `NextToken` names the last one answered).
   */
  describeAlarms(input: Input): { MetricAlarms: StoredAlarm[]; CompositeAlarms: never[]; NextToken?: string } {
    const fields = new Fields(input);
    // An empty list filters nothing, as when it is left out (the Query protocol cannot tell them apart).
    const listed = fields.list('AlarmNames', { max: 100 }, nameString);
    const names = listed?.length === 0 ? undefined : listed;
    const prefix = fields.string('AlarmNamePrefix', { min: 1, max: 255 });
    const types = fields.list('AlarmTypes', {}, (type) => (ALARM_TYPES.includes(type as string) ? (type as string) : undefined));
    const children = fields.string('ChildrenOfAlarmName', { min: 1, max: 255 });
    const parents = fields.string('ParentsOfAlarmName', { min: 1, max: 255 });
    const state = fields.string('StateValue', { max: 255, values: STATE_VALUES });
    const actionPrefix = fields.string('ActionPrefix', { min: 1, max: 1024 });
    const limit = fields.number('MaxRecords', { integer: true, min: 1, max: 100 }) ?? 50;
    const token = fields.string('NextToken', { max: 4096 });
    fields.check();
    if (names !== undefined && prefix !== undefined)
      throw new CloudWatchApiError('InvalidParameterCombination', 'The parameters AlarmNames and AlarmNamePrefix are mutually exclusive.');
    const after = token === undefined ? '' : this.readToken(token);

    // No composite alarms exist here: none is a parent or a child of another.
    const wanted = (types === undefined || types.includes('MetricAlarm')) && children === undefined && parents === undefined;
    const matching = [...this.alarms.values()]
      .filter(
        (alarm) =>
          wanted &&
          (names === undefined || names.includes(alarm.AlarmName)) &&
          alarm.AlarmName.startsWith(prefix ?? '') &&
          (state === undefined || alarm.StateValue === state) &&
          (actionPrefix === undefined ||
            [...alarm.OKActions, ...alarm.AlarmActions, ...alarm.InsufficientDataActions].some((action) =>
              action.startsWith(actionPrefix),
            )),
      )
      .sort((a, b) => (a.AlarmName < b.AlarmName ? -1 : a.AlarmName > b.AlarmName ? 1 : 0))
      .filter((alarm) => alarm.AlarmName > after);
    const page = matching.slice(0, limit);
    const last = page.at(-1);
    return {
      MetricAlarms: page.map((alarm) => structuredClone(alarm)),
      CompositeAlarms: [],
      ...(matching.length > limit && last
        ? { NextToken: Buffer.from(JSON.stringify({ after: last.AlarmName })).toString('base64url') }
        : {}),
    };
  }

  private readToken(token: string): string {
    try {
      const { after } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
      if (typeof after === 'string') return after;
    } catch {
      // Falls through to the error below.
    }
    throw new CloudWatchApiError('InvalidNextToken', 'The NextToken is not one this endpoint gave.');
  }

  /**
   * Sets an alarm's state, as AWS lets a test do. Setting the state it already has
   * changes nothing (neither its reason nor its timestamps).
   */
  setAlarmState(input: Input): Record<string, never> {
    const fields = new Fields(input);
    const name = fields.required('AlarmName', (field) => fields.string(field, { min: 1, max: 255 }));
    const state = fields.required('StateValue', (field) => fields.string(field, { max: 255, values: STATE_VALUES })) as StateValue;
    const reason = fields.required('StateReason', (field) => fields.string(field, { max: 1023 }));
    const data = fields.string('StateReasonData', { max: 4000 });
    fields.check();
    if (data !== undefined) {
      try {
        JSON.parse(data);
      } catch {
        throw new CloudWatchApiError('InvalidFormat', 'StateReasonData is not valid JSON.');
      }
    }
    const alarm = this.alarms.get(name);
    if (!alarm) throw new CloudWatchApiError('ResourceNotFound', `Alarm ${name} not found`);
    if (alarm.StateValue === state) return {};
    const now = Date.now();
    alarm.StateValue = state;
    alarm.StateReason = reason;
    if (data === undefined) delete alarm.StateReasonData;
    else alarm.StateReasonData = data;
    alarm.StateUpdatedTimestamp = now;
    alarm.StateTransitionedTimestamp = now;
    this.store.save();
    return {};
  }

  /**
   * Deletes the named alarms. Names that match no alarm answer ResourceNotFound, and the
   * alarms the other names match are deleted all the same.
   */
  deleteAlarms(input: Input): Record<string, never> {
    const fields = new Fields(input);
    const names = fields.required('AlarmNames', (field) => fields.list(field, { max: 100 }, nameString));
    fields.check();
    const missing = names.filter((name) => !this.alarms.delete(name));
    this.store.save();
    if (missing.length > 0) throw new CloudWatchApiError('ResourceNotFound', `${missing.length} alarm(s) not found: ${missing.join(', ')}`);
    return {};
  }

  /** How many alarms there are. */
  get size(): number {
    return this.alarms.size;
  }

  /**
   * Resolves once every change made so far is on disk (at once without `persistDir`).
   * The endpoint answers a change only after this, as AWS answers once it is stored.
   */
  durable(): Promise<void> {
    return this.store.flush();
  }

  /** Writes the alarms down: what a restart with the same `persistDir` loads. */
  close(): Promise<void> {
    return this.store.flush();
  }
}
