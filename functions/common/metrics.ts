import { MetricUnit, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as Unit } from '@aws-lambda-powertools/metrics/types';
import { STRATEGIES, type Strategy } from '../domain/knobs.js';

/** The CloudWatch namespace of every Sluice metric. */
export const METRICS_NAMESPACE = 'Sluice';

/** Counts, each emitted with value 1 where the thing happens (docs/architecture.md#logs-and-metrics). */
export type CountMetric =
  | 'UpgradeStarted'
  | 'UpgradeCompleted'
  | 'UpgradeFailed'
  | 'UpgradeRolledBack'
  | 'InstanceFailed'
  | 'UpdateRunCompleted';

/** Durations in seconds. */
export type SecondsMetric = 'UpgradeDurationSeconds' | 'GateWaitSeconds';

/**
 * The metrics port: what happened, by the upgrade strategy it happened under. Never by
 * tenant or id: each dimension value is a metric of its own (billed, and listed), and
 * an alarm must be able to watch the whole system in one.
 */
export interface Metrics {
  count(name: CountMetric, strategy?: Strategy): void;
  seconds(name: SecondsMetric, seconds: number, strategy?: Strategy): void;
}

/** For code built without metrics (tests, tools). */
export const NO_METRICS: Metrics = { count: () => {}, seconds: () => {} };

/** {@link Metrics} that a function publishes at the end of each invocation (`observe` does). */
export interface FunctionMetrics extends Metrics {
  /** Writes what this invocation recorded as EMF lines on stdout, and forgets it. */
  flush(): void;
}

/** Under this key, an instance for metrics of no strategy (an update run that left it to its services). */
const NO_STRATEGY = '';

let shared: FunctionMetrics | undefined;

/**
 * The function's metrics: Powertools Metrics, as CloudWatch embedded metric format
 * lines on stdout (the log stream, which CloudWatch turns into metrics), made on first use
 * like `powertoolsLogger()`.
 *
 * Every datum is published twice in one line: with the `strategy` dimension and with
 * none at all. CloudWatch aggregates only over the dimension sets a metric was published
 * with, and an alarm cannot sum a metric across dimension values (SEARCH is not
 * allowed in alarms), so `Sluice/UpgradeFailed` without dimensions is what an alarm on
 * every failure watches. One EMF line carries one value per dimension, so each strategy
 * gets a Powertools instance of its own; Powertools' default `service` dimension is
 * removed, so that the dimensionless set is really empty.
 */
export function functionMetrics(): FunctionMetrics {
  if (shared) return shared;
  const instances = new Map<string, PowertoolsMetrics>();
  const instanceFor = (strategy: string): PowertoolsMetrics => {
    let instance = instances.get(strategy);
    if (!instance) {
      instance = new PowertoolsMetrics({ namespace: METRICS_NAMESPACE });
      instance.clearDefaultDimensions();
      instances.set(strategy, instance);
    }
    return instance;
  };
  const emit = (name: string, unit: Unit, value: number, strategy: Strategy | undefined) => {
    // A value that is not one of the strategies would be a free-form dimension: it goes in the dimensionless set only.
    const key = strategy !== undefined && STRATEGIES.includes(strategy) ? strategy : NO_STRATEGY;
    const instance = instanceFor(key);
    // Dimensions are set per EMF line; a published line forgets them (and Powertools
    // publishes by itself at 100 values of one metric), so they are set again on the
    // first datum after that.
    if (!instance.hasStoredMetrics()) {
      if (key !== NO_STRATEGY) instance.addDimension('strategy', key);
      instance.addDimensions({});
    }
    instance.addMetric(name, unit, value);
  };
  shared = {
    count: (name, strategy) => emit(name, MetricUnit.Count, 1, strategy),
    seconds: (name, seconds, strategy) => emit(name, MetricUnit.Seconds, Math.max(0, seconds), strategy),
    flush: () => {
      for (const instance of instances.values()) if (instance.hasStoredMetrics()) instance.publishStoredMetrics();
    },
  };
  return shared;
}
