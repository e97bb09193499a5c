/** The state of one CloudWatch alarm, as DescribeAlarms reports it. */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/**
 * The alarms port: the states of named CloudWatch alarms (metric or composite). Names
 * that name no alarm are left out of the answer, which is how a create finds unknown
 * names. The adapter is functions/upgrades/cloudwatch-alarm-states.ts.
 */
export interface AlarmStates {
  describe(names: readonly string[]): Promise<ReadonlyMap<string, { readonly state: AlarmState; readonly reason?: string }>>;
}

/** The alarms of `names` that are in ALARM, in the order given. */
export async function alarmsInAlarm(alarms: AlarmStates, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const states = await alarms.describe(names);
  return names.filter((name) => states.get(name)?.state === 'ALARM');
}
