import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand, TransactionCanceledException, TransactWriteCommand, UpdateCommand } from '../common/aws-sdk.js';
import { batchPutAll } from '../common/ddb-batch.js';
import { isConditionFailure, type TransactItem, withoutKeys } from '../common/ddb-items.js';
import { queryAll } from '../common/ddb-query.js';
import { ConflictError, NotFoundError } from '../common/errors.js';
import { createEventFeed, type EventFeed, type FeedPage, type FeedQuery, type Timeline } from '../common/feed.js';
import { decodeNextToken, type Page, type TokenShape, toPage } from '../common/pagination.js';
import { type GateStatus, type MemberStatus, RUN_LOCKING_STATUSES, RUN_TRANSITIONS, type RunStatus } from '../domain/fleet.js';
import type { GateRecord, MemberRecord, NewRunEvent, RunRecord, StagePlan } from './run-records.js';

export type RunPatch = Partial<
  Omit<RunRecord, 'runId' | 'tenantId' | 'componentId' | 'status' | 'counts' | 'stages' | 'wakeups' | 'wakeToken'>
>;

/** Update runs' storage (docs/architecture.md#fleet-update-runs). */
export interface RunRepository {
  /** Members and gates first, then the run with its first event: a run is never seen without them. */
  create(run: RunRecord, members: readonly MemberRecord[], gates: readonly GateRecord[], event: NewRunEvent): Promise<void>;
  get(tenantId: string, runId: string): Promise<RunRecord | undefined>;
  list(tenantId: string, query: { limit: number; nextToken?: string; status?: RunStatus; componentId?: string }): Promise<Page<RunRecord>>;
  members(runId: string, stage?: number): Promise<MemberRecord[]>;
  gates(runId: string): Promise<GateRecord[]>;
  /**
   * A conditional status change (409 with `currentStatus` otherwise). Entering RUNNING
   * takes the component's one-running-run lock (409 when another run holds it);
   * leaving RUNNING/STOPPING for a status that holds no lock releases it, all in one
   * transaction.
   */
  transition(
    tenantId: string,
    runId: string,
    request: { from: readonly RunStatus[]; to: RunStatus; set?: RunPatch; event: NewRunEvent; bumpGeneration?: boolean },
  ): Promise<RunRecord>;
  update(tenantId: string, runId: string, set: RunPatch): Promise<RunRecord>;
  /** Sets `stages[stage]` fields (status, times), and optionally one group's status. */
  updateStage(
    tenantId: string,
    runId: string,
    stage: number,
    set: Partial<Pick<StagePlan, 'status' | 'startedAt' | 'membersDoneAt' | 'finishedAt' | 'attempt'>>,
    group?: { index: number; status: StagePlan['groups'][number]['status'] },
  ): Promise<void>;
  /** Moves a member from one of `from` to `to` (false when it was not in `from`); the run's counts move with it. */
  moveMember(
    tenantId: string,
    member: MemberRecord,
    move: {
      from: readonly MemberStatus[];
      to: MemberStatus;
      set?: Partial<MemberRecord>;
      remove?: readonly (keyof MemberRecord)[];
      /**
       * Only while the run is RUNNING in this generation (a start of a member): a stop, a
       * restart or an end between the look's read and this write wins, and nothing starts.
       */
      whileRunning?: { generation: number };
    },
  ): Promise<boolean>;
  /** Moves a gate from one of `from` to `to` (false when it was not in `from`). */
  moveGate(gate: GateRecord, move: { from: readonly GateStatus[]; to: GateStatus; set?: Partial<GateRecord> }): Promise<boolean>;
  appendEvent(tenantId: string, runId: string, event: NewRunEvent): Promise<void>;
  /** The run's timeline in order, from a cursor, optionally held as a long poll (common/feed.ts). */
  events(runId: string, query: FeedQuery): Promise<FeedPage>;
  /**
   * Parks the flow: stores its task token unless something woke the run since the flow
   * looked (`wakeups` moved past `seen`). False means: do not wait, look again.
   */
  park(tenantId: string, runId: string, token: string, seen: number): Promise<boolean>;
  /** Records that something changed and takes the parked flow's token, if one is parked. */
  wake(tenantId: string, runId: string): Promise<string | undefined>;
}

const tenantPk = (tenantId: string) => `TENANT#${tenantId}`;
const runKey = (tenantId: string, runId: string) => ({ pk: tenantPk(tenantId), sk: `UPDATE_RUN#${runId}` });
const runPk = (runId: string) => `UPDATE_RUN#${runId}`;
const pad = (value: number, width: number) => String(value).padStart(width, '0');
const memberKey = (member: Pick<MemberRecord, 'runId' | 'stage' | 'group' | 'index'>) => ({
  pk: runPk(member.runId),
  sk: `MEMBER#${pad(member.stage, 2)}#${pad(member.group, 2)}#${pad(member.index, 5)}`,
});
const gateKey = (gate: Pick<GateRecord, 'runId' | 'gateId'>) => ({ pk: runPk(gate.runId), sk: `GATE#${gate.gateId}` });
const lockKey = (tenantId: string, componentId: string) => ({ pk: tenantPk(tenantId), sk: `ACTIVE_RUN#${componentId}` });
const statusIndexPk = (tenantId: string, status: RunStatus) => `RUNS#${tenantId}#STATUS#${status}`;
const componentIndexPk = (tenantId: string, componentId: string) => `RUNS#${tenantId}#COMPONENT#${componentId}`;
const runKeyShape = (tenantId: string) => ({ pk: tenantPk(tenantId), sk: { prefix: 'UPDATE_RUN#run_' } }) satisfies TokenShape;

/** `SET #a = :a, …` for a flat patch, with names and values prefixed so that several can share one expression. */
function setClauses(set: Record<string, unknown>, prefix: string) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const clauses: string[] = [];
  Object.entries(set).forEach(([key, value], index) => {
    if (value === undefined) return;
    names[`#${prefix}${index}`] = key;
    values[`:${prefix}${index}`] = value;
    clauses.push(`#${prefix}${index} = :${prefix}${index}`);
  });
  return { names, values, clauses };
}

export function createRunRepository(
  db: DynamoDBDocumentClient,
  tableName: string,
  now: () => Date,
  feed: EventFeed = createEventFeed(db, tableName, { now }),
): RunRepository {
  const timeline = (tenantId: string, runId: string): Timeline => ({ tenantId, pk: runPk(runId), about: { runId } });
  const get = async (tenantId: string, runId: string) => {
    const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: runKey(tenantId, runId), ConsistentRead: true }));
    return Item ? withoutKeys<RunRecord>(Item) : undefined;
  };
  const require = async (tenantId: string, runId: string) => {
    const run = await get(tenantId, runId);
    if (!run) throw new NotFoundError(`Update run ${runId} was not found.`);
    return run;
  };
  const conflict = async (tenantId: string, runId: string, to: RunStatus, cause: unknown) => {
    const latest = await get(tenantId, runId);
    return new ConflictError(`The update run is ${latest?.status ?? 'gone'}; it cannot move to ${to}.`, {
      cause,
      extensions: { currentStatus: latest?.status },
    });
  };

  return {
    async create(run, members, gates, event) {
      await batchPutAll(db, tableName, [
        ...members.map((member) => ({ ...memberKey(member), ...member })),
        ...gates.map((gate) => ({ ...gateKey(gate), ...gate })),
      ]);
      await feed.transact(timeline(run.tenantId, run.runId), [event], (eventWrites) => [
        {
          Put: {
            TableName: tableName,
            Item: {
              ...runKey(run.tenantId, run.runId),
              gsi1pk: componentIndexPk(run.tenantId, run.componentId),
              gsi1sk: run.runId,
              gsi2pk: statusIndexPk(run.tenantId, run.status),
              gsi2sk: run.runId,
              ...run,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        ...eventWrites,
      ]);
    },

    get,

    async list(tenantId, { limit, nextToken, status, componentId }) {
      const byStatus = status !== undefined;
      const byComponent = !byStatus && componentId !== undefined;
      const partition = byStatus
        ? statusIndexPk(tenantId, status)
        : byComponent
          ? componentIndexPk(tenantId, componentId)
          : tenantPk(tenantId);
      const index = byStatus ? 'gsi2' : byComponent ? 'gsi1' : undefined;
      const shape: TokenShape = index
        ? { [`${index}pk`]: partition, [`${index}sk`]: { prefix: 'run_' }, ...runKeyShape(tenantId) }
        : runKeyShape(tenantId);
      const both = byStatus && componentId !== undefined;
      const result = await db.send(
        new QueryCommand({
          TableName: tableName,
          ...(index ? { IndexName: index } : {}),
          KeyConditionExpression: index ? `${index}pk = :pk` : 'pk = :pk AND begins_with(sk, :prefix)',
          ...(both ? { FilterExpression: 'componentId = :component' } : {}),
          ExpressionAttributeValues: {
            ':pk': partition,
            ...(index ? {} : { ':prefix': 'UPDATE_RUN#' }),
            ...(both ? { ':component': componentId } : {}),
          },
          ScanIndexForward: false,
          Limit: limit,
          ExclusiveStartKey: decodeNextToken(nextToken, shape),
        }),
      );
      return toPage(
        (result.Items ?? []).map((item) => withoutKeys<RunRecord>(item)),
        result.LastEvaluatedKey,
      );
    },

    async members(runId, stage) {
      const prefix = stage === undefined ? 'MEMBER#' : `MEMBER#${pad(stage, 2)}#`;
      const items = await queryAll(db, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': runPk(runId), ':prefix': prefix },
        ConsistentRead: true,
      });
      return items.map((item) => withoutKeys<MemberRecord>(item));
    },

    async gates(runId) {
      const items = await queryAll(db, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': runPk(runId), ':prefix': 'GATE#' },
        ConsistentRead: true,
      });
      return items.map((item) => withoutKeys<GateRecord>(item)).sort((a, b) => Number(a.gateId.slice(5)) - Number(b.gateId.slice(5)));
    },

    async transition(tenantId, runId, { from, to, set = {}, event, bumpGeneration }) {
      const illegal = from.filter((status) => !RUN_TRANSITIONS[status].includes(to));
      if (from.length === 0 || illegal.length > 0) throw new Error(`Not a legal run transition: ${illegal.join(', ')} -> ${to}`);
      const current = await require(tenantId, runId);
      const terminal = RUN_TRANSITIONS[to].length === 0;
      const patch = setClauses(
        {
          ...set,
          ...(terminal && !set.finishedAt ? { finishedAt: now().toISOString() } : {}),
          status: to,
          gsi2pk: statusIndexPk(tenantId, to),
        },
        's',
      );
      const fromValues = Object.fromEntries(from.map((status, index) => [`:from${index}`, status]));
      const items: TransactItem[] = [
        {
          Update: {
            TableName: tableName,
            Key: runKey(tenantId, runId),
            UpdateExpression: `SET ${patch.clauses.join(', ')}${bumpGeneration ? ', generation = generation + :one' : ''}`,
            ConditionExpression: `#status IN (${Object.keys(fromValues).join(', ')})`,
            ExpressionAttributeNames: { ...patch.names, '#status': 'status' },
            ExpressionAttributeValues: { ...patch.values, ...fromValues, ...(bumpGeneration ? { ':one': 1 } : {}) },
          },
        },
      ];
      const locksBefore = from.some((status) => RUN_LOCKING_STATUSES.includes(status));
      const locksAfter = RUN_LOCKING_STATUSES.includes(to);
      if (locksAfter && !locksBefore) {
        items.push({
          Put: {
            TableName: tableName,
            Item: { ...lockKey(tenantId, current.componentId), runId },
            ConditionExpression: 'attribute_not_exists(pk) OR runId = :run',
            ExpressionAttributeValues: { ':run': runId },
          },
        });
      } else if (locksBefore && !locksAfter) {
        items.push({
          Delete: {
            TableName: tableName,
            Key: lockKey(tenantId, current.componentId),
            ConditionExpression: 'attribute_not_exists(pk) OR runId = :run',
            ExpressionAttributeValues: { ':run': runId },
          },
        });
      }
      try {
        // The run's update first, then the lock (when it changes), then the events.
        await feed.transact(timeline(tenantId, runId), [event], (eventWrites) => [...items, ...eventWrites]);
      } catch (error) {
        if (error instanceof TransactionCanceledException) {
          const reasons = error.CancellationReasons ?? [];
          if (reasons[0]?.Code === 'ConditionalCheckFailed') throw await conflict(tenantId, runId, to, error);
          if (locksAfter && reasons[1]?.Code === 'ConditionalCheckFailed') {
            const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: lockKey(tenantId, current.componentId) }));
            throw new ConflictError(
              `Another update run of component ${current.componentId} is running: ${String(Item?.runId ?? 'unknown')}.`,
              {
                cause: error,
                extensions: { currentStatus: current.status, runningRunId: Item?.runId },
              },
            );
          }
          throw await conflict(tenantId, runId, to, error);
        }
        throw error;
      }
      return require(tenantId, runId);
    },

    async update(tenantId, runId, set) {
      const patch = setClauses(set, 's');
      try {
        const result = await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: runKey(tenantId, runId),
            UpdateExpression: `SET ${patch.clauses.join(', ')}`,
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: patch.names,
            ExpressionAttributeValues: patch.values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return withoutKeys<RunRecord>(result.Attributes ?? {});
      } catch (error) {
        if (isConditionFailure(error)) throw new NotFoundError(`Update run ${runId} was not found.`, { cause: error });
        throw error;
      }
    },

    async updateStage(tenantId, runId, stage, set, group) {
      const names: Record<string, string> = { '#stages': 'stages' };
      const values: Record<string, unknown> = {};
      const clauses = Object.entries(set).flatMap(([key, value], index) => {
        if (value === undefined) return [];
        names[`#f${index}`] = key;
        values[`:f${index}`] = value;
        return [`#stages[${stage}].#f${index} = :f${index}`];
      });
      if (group) {
        names['#groups'] = 'groups';
        names['#gstatus'] = 'status';
        values[':gstatus'] = group.status;
        clauses.push(`#stages[${stage}].#groups[${group.index}].#gstatus = :gstatus`);
      }
      if (clauses.length === 0) return;
      await db.send(
        new UpdateCommand({
          TableName: tableName,
          Key: runKey(tenantId, runId),
          UpdateExpression: `SET ${clauses.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    },

    async moveMember(tenantId, member, { from, to, set = {}, remove = [], whileRunning }) {
      // The member moves from exactly the status it was read in (one of `from`): the run's
      // counts subtract that status, so a move from any other would make them drift.
      if (!from.includes(member.status)) return false;
      const patch = setClauses({ ...set, status: to, updatedAt: now().toISOString() }, 's');
      const fromValues = { ':from0': member.status };
      const removes = remove.map((key, index) => {
        patch.names[`#r${index}`] = key;
        return `#r${index}`;
      });
      const running = whileRunning
        ? {
            ConditionExpression: '#runStatus = :running AND generation = :generation',
            names: { '#runStatus': 'status' },
            values: { ':running': 'RUNNING', ':generation': whileRunning.generation },
          }
        : undefined;
      const send = () =>
        db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: tableName,
                  Key: memberKey(member),
                  UpdateExpression: `SET ${patch.clauses.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
                  ConditionExpression: `#status IN (${Object.keys(fromValues).join(', ')})`,
                  ExpressionAttributeNames: { ...patch.names, '#status': 'status' },
                  ExpressionAttributeValues: { ...patch.values, ...fromValues },
                },
              },
              // The counts follow the member's status as read: callers move a member from exactly
              // the status they read (`from` holds only it), so the counts cannot drift.
              ...(member.status === to
                ? running
                  ? [
                      {
                        ConditionCheck: {
                          TableName: tableName,
                          Key: runKey(tenantId, member.runId),
                          ConditionExpression: running.ConditionExpression,
                          ExpressionAttributeNames: running.names,
                          ExpressionAttributeValues: running.values,
                        },
                      },
                    ]
                  : []
                : [
                    {
                      Update: {
                        TableName: tableName,
                        Key: runKey(tenantId, member.runId),
                        UpdateExpression: 'SET #counts.#to = #counts.#to + :one, #counts.#from = #counts.#from - :one',
                        ...(running ? { ConditionExpression: running.ConditionExpression } : {}),
                        ExpressionAttributeNames: { '#counts': 'counts', '#to': to, '#from': member.status, ...(running?.names ?? {}) },
                        ExpressionAttributeValues: { ':one': 1, ...(running?.values ?? {}) },
                      },
                    },
                  ]),
            ],
          }),
        );
      // A transaction that collided with another write of the run item (a wake-up) is not a
      // refusal: try again a few times; only a condition that failed means "not moved".
      for (let attempt = 0; ; attempt += 1) {
        try {
          await send();
          return true;
        } catch (error) {
          if (!(error instanceof TransactionCanceledException)) throw error;
          const conflict = (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict');
          if (!conflict || attempt >= 4) return false;
          await new Promise((done) => setTimeout(done, 20 * 2 ** attempt));
        }
      }
    },

    async moveGate(gate, { from, to, set = {} }) {
      const patch = setClauses({ ...set, status: to }, 's');
      const fromValues = Object.fromEntries(from.map((status, index) => [`:from${index}`, status]));
      try {
        await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: gateKey(gate),
            UpdateExpression: `SET ${patch.clauses.join(', ')}`,
            ConditionExpression: `#status IN (${Object.keys(fromValues).join(', ')})`,
            ExpressionAttributeNames: { ...patch.names, '#status': 'status' },
            ExpressionAttributeValues: { ...patch.values, ...fromValues },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async appendEvent(tenantId, runId, event) {
      await feed.transact(timeline(tenantId, runId), [event], (eventWrites) => eventWrites);
    },

    events: (runId, query) => feed.timeline(runPk(runId), query),

    async park(tenantId, runId, token, seen) {
      try {
        await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: runKey(tenantId, runId),
            UpdateExpression: 'SET wakeToken = :token',
            ConditionExpression: 'wakeups = :seen',
            ExpressionAttributeValues: { ':token': token, ':seen': seen },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async wake(tenantId, runId) {
      try {
        const result = await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: runKey(tenantId, runId),
            UpdateExpression: 'SET wakeups = wakeups + :one REMOVE wakeToken',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':one': 1 },
            ReturnValues: 'ALL_OLD',
          }),
        );
        return result.Attributes?.wakeToken as string | undefined;
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },
  };
}
