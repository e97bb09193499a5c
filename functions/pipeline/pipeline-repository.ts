import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { compareVersions } from '../catalog/version-policy.js';
import {
  BatchGetCommand,
  GetCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteCommand,
  UpdateCommand,
} from '../common/aws-sdk.js';
import { conditionFailuresOf, isConditionFailure, withoutKeys as strip, type TransactItem } from '../common/ddb-items.js';
import { ConflictError, NotFoundError } from '../common/errors.js';
import { decodeNextToken, type Page, toPage } from '../common/pagination.js';
import type { ServiceRecord } from '../services/service.js';
import { type ServiceKey, serviceKey } from '../services/service-repository.js';
import type { Edge } from './graph.js';
import type { LastValidation, UpgradeStepView } from './schemas.js';

/** An auto-validation waiting on its schedule. */
export interface PendingRecord {
  readonly version: string;
  readonly dueAt: string;
  /** When the source completed the upgrade to `version`: the delay counts from here. */
  readonly completedAt: string;
  readonly schedule: string;
}

/** A step as stored: the view plus its pending auto-validations, keyed by version. */
export interface StepRecord extends UpgradeStepView {
  readonly tenantId: string;
  readonly componentId: string;
  readonly pending: Readonly<Record<string, PendingRecord>>;
}

/** The tenant's pipeline item: the graph's edges and the revision every structural change moves. */
export interface PipelineGraphRecord {
  readonly revision: number;
  readonly edges: readonly Edge[];
}

export type LockedWrite = 'done' | 'stale' | 'service-gone';

/** The pipelines' storage port. */
export interface PipelineRepository {
  graph(tenantId: string): Promise<PipelineGraphRecord>;
  /**
   * In one transaction: the pipeline item moves from `revision` to `revision + 1` (else
   * `stale`), the step is put, and the destination's ceiling is set (else `service-gone`).
   */
  addStep(step: StepRecord, revision: number, edge: Edge, ceiling: { key: ServiceKey; version: string }): Promise<LockedWrite>;
  /** The counterpart of `addStep`: removes the edge, the step and the destination's ceiling. */
  removeStep(tenantId: string, stepId: string, revision: number, destination: ServiceKey | undefined): Promise<LockedWrite>;
  getStep(tenantId: string, stepId: string): Promise<StepRecord | undefined>;
  listSteps(tenantId: string, page: { limit: number; nextToken?: string }): Promise<Page<StepRecord>>;
  /** Every step of the tenant (bounded by the steps limit). */
  allSteps(tenantId: string): Promise<StepRecord[]>;
  /** Fails with `NotFoundError` when the step is gone. */
  setDelay(tenantId: string, stepId: string, days: number): Promise<StepRecord>;
  /** Records a validation and drops the named pending entries; false when the step is gone. */
  recordValidation(tenantId: string, stepId: string, validation: LastValidation, dropPending: readonly string[]): Promise<boolean>;
  /** False when the step is gone. */
  addPending(tenantId: string, stepId: string, pending: PendingRecord): Promise<boolean>;
  /** The write `addPending` makes, for another repository's transaction (it fails that transaction if the step is gone). */
  pendingWrite(tenantId: string, stepId: string, pending: PendingRecord): TransactItem;
  /** Raises a service's ceiling to `version` unless it is already there or above; false when the service is gone. */
  raiseCeiling(key: ServiceKey, version: string): Promise<boolean>;
  /** Services by key, in no particular order; missing ones are left out. */
  services(tenantId: string, keys: readonly { project: string; name: string }[]): Promise<ServiceRecord[]>;
}

const tenantPk = (tenantId: string) => `TENANT#${tenantId}`;
const pipelineKey = (tenantId: string) => ({ pk: tenantPk(tenantId), sk: 'PIPELINE' });
const stepKey = (tenantId: string, stepId: string) => ({ pk: tenantPk(tenantId), sk: `STEP#${stepId}` });

type StoredEdges = Record<string, { s: string; d: string }>;

export function createPipelineRepository(db: DynamoDBDocumentClient, tableName: string): PipelineRepository {
  const pendingUpdate = (tenantId: string, stepId: string, pending: PendingRecord) => ({
    TableName: tableName,
    Key: stepKey(tenantId, stepId),
    UpdateExpression: 'SET pending.#version = :pending',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeNames: { '#version': pending.version },
    ExpressionAttributeValues: { ':pending': pending },
  });

  const getStep = async (tenantId: string, stepId: string) => {
    const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: stepKey(tenantId, stepId), ConsistentRead: true }));
    return Item ? strip<StepRecord>(Item) : undefined;
  };

  /** Runs a locked transaction; item 0 is always the pipeline item, the last one the service (if any). */
  const locked = async (items: TransactItem[], serviceIndex: number | undefined): Promise<LockedWrite> => {
    try {
      await db.send(new TransactWriteCommand({ TransactItems: items }));
      return 'done';
    } catch (error) {
      const failed = conditionFailuresOf(error);
      if (!failed || !(error instanceof TransactionCanceledException)) throw error;
      if (failed.includes(0)) return 'stale';
      if (serviceIndex !== undefined && failed.includes(serviceIndex)) return 'service-gone';
      const reasons = error.CancellationReasons ?? [];
      // Another transaction touching the same items at the same moment: try again.
      if (reasons.some((reason) => reason.Code === 'TransactionConflict')) return 'stale';
      throw error;
    }
  };

  const pipelineUpdate = (
    tenantId: string,
    revision: number,
    expression: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ) => ({
    Update: {
      TableName: tableName,
      Key: pipelineKey(tenantId),
      UpdateExpression: expression,
      // The revision serializes every structural change of a tenant's pipeline.
      ConditionExpression: revision === 0 ? 'attribute_not_exists(pk)' : '#revision = :revision',
      ExpressionAttributeNames: { ...names, '#revision': 'revision' },
      ExpressionAttributeValues: { ...values, ':next': revision + 1, ...(revision === 0 ? {} : { ':revision': revision }) },
    },
  });

  return {
    async graph(tenantId) {
      const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: pipelineKey(tenantId), ConsistentRead: true }));
      if (!Item) return { revision: 0, edges: [] };
      const edges = Object.entries((Item.edges ?? {}) as StoredEdges).map(([stepId, { s, d }]) => ({ stepId, source: s, destination: d }));
      return { revision: Number(Item.revision ?? 0), edges: edges.sort((a, b) => a.stepId.localeCompare(b.stepId)) };
    },

    async addStep(step, revision, edge, ceiling) {
      const items: TransactItem[] = [
        pipelineUpdate(
          step.tenantId,
          revision,
          revision === 0 ? 'SET #revision = :next, #edges = :edges' : 'SET #revision = :next, #edges.#step = :edge',
          { '#edges': 'edges', ...(revision === 0 ? {} : { '#step': step.stepId }) },
          revision === 0
            ? { ':edges': { [step.stepId]: { s: edge.source, d: edge.destination } } }
            : { ':edge': { s: edge.source, d: edge.destination } },
        ),
        {
          Put: {
            TableName: tableName,
            Item: { ...stepKey(step.tenantId, step.stepId), ...step },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Update: {
            TableName: tableName,
            Key: serviceKey(ceiling.key),
            // Moving the revision makes a concurrent read-modify-write of the service retry
            // instead of writing back a copy without the ceiling.
            UpdateExpression: 'SET validatedVersion = :version ADD #revision :one',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#revision': 'revision' },
            ExpressionAttributeValues: { ':version': ceiling.version, ':one': 1 },
          },
        },
      ];
      return locked(items, 2);
    },

    async removeStep(tenantId, stepId, revision, destination) {
      if (revision === 0) return 'stale';
      const items: TransactItem[] = [
        pipelineUpdate(tenantId, revision, 'SET #revision = :next REMOVE #edges.#step', { '#edges': 'edges', '#step': stepId }, {}),
        { Delete: { TableName: tableName, Key: stepKey(tenantId, stepId) } },
      ];
      if (destination) {
        items.push({
          Update: {
            TableName: tableName,
            Key: serviceKey(destination),
            UpdateExpression: 'REMOVE validatedVersion ADD #revision :one',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#revision': 'revision' },
            ExpressionAttributeValues: { ':one': 1 },
          },
        });
      }
      return locked(items, destination ? 2 : undefined);
    },

    getStep,

    async listSteps(tenantId, { limit, nextToken }) {
      const pk = tenantPk(tenantId);
      const result = await db.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': 'STEP#' },
          Limit: limit,
          ExclusiveStartKey: decodeNextToken(nextToken, { pk, sk: { prefix: 'STEP#' } }),
        }),
      );
      return toPage(
        (result.Items ?? []).map((item) => strip<StepRecord>(item)),
        result.LastEvaluatedKey,
      );
    },

    async allSteps(tenantId) {
      const steps: StepRecord[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const result = await db.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': 'STEP#' },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        steps.push(...(result.Items ?? []).map((item) => strip<StepRecord>(item)));
        startKey = result.LastEvaluatedKey;
      } while (startKey);
      return steps;
    },

    async setDelay(tenantId, stepId, days) {
      try {
        const result = await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: stepKey(tenantId, stepId),
            UpdateExpression: 'SET autoValidationDelayDays = :days',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':days': days },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return strip<StepRecord>(result.Attributes ?? {});
      } catch (error) {
        if (isConditionFailure(error)) throw new NotFoundError(`Upgrade step ${stepId} was not found.`, { cause: error });
        throw error;
      }
    },

    async recordValidation(tenantId, stepId, validation, dropPending) {
      const names: Record<string, string> = {};
      const removes = dropPending.map((version, index) => {
        names[`#p${index}`] = version;
        return `pending.#p${index}`;
      });
      try {
        await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: stepKey(tenantId, stepId),
            UpdateExpression: `SET lastValidation = :validation${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
            ConditionExpression: 'attribute_exists(pk)',
            ...(removes.length ? { ExpressionAttributeNames: names } : {}),
            ExpressionAttributeValues: { ':validation': validation },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    pendingWrite: (tenantId, stepId, pending) => ({ Update: pendingUpdate(tenantId, stepId, pending) }),

    async addPending(tenantId, stepId, pending) {
      try {
        await db.send(new UpdateCommand(pendingUpdate(tenantId, stepId, pending)));
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async raiseCeiling(key, version) {
      for (let attempt = 0; attempt < 10; attempt += 1) {
        const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: serviceKey(key), ConsistentRead: true }));
        if (!Item) return false;
        const current = Item.validatedVersion as string | undefined;
        if (current !== undefined && compareVersions(current, version) >= 0) return true;
        try {
          await db.send(
            new UpdateCommand({
              TableName: tableName,
              Key: serviceKey(key),
              UpdateExpression: 'SET validatedVersion = :version ADD #revision :one',
              ConditionExpression: '#revision = :revision',
              ExpressionAttributeNames: { '#revision': 'revision' },
              ExpressionAttributeValues: { ':version': version, ':one': 1, ':revision': Item.revision },
            }),
          );
          return true;
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
      }
      throw new ConflictError(`Service ${key.project}/${key.name} kept changing while its ceiling was raised to ${version}; retry.`);
    },

    async services(tenantId, keys) {
      const unique = [...new Map(keys.map((key) => [`${key.project}/${key.name}`, key])).values()];
      const records: ServiceRecord[] = [];
      for (let offset = 0; offset < unique.length; offset += 100) {
        let request: Record<string, unknown>[] | undefined = unique
          .slice(offset, offset + 100)
          .map((key) => serviceKey({ tenantId, project: key.project, name: key.name }));
        for (let attempt = 0; request && request.length > 0; attempt += 1) {
          if (attempt > 0) await new Promise((done) => setTimeout(done, Math.min(1000, 25 * 2 ** attempt)));
          const result = await db.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: request, ConsistentRead: true } } }));
          records.push(...(result.Responses?.[tableName] ?? []).map((item) => strip<ServiceRecord>(item)));
          request = result.UnprocessedKeys?.[tableName]?.Keys as Record<string, unknown>[] | undefined;
        }
      }
      return records;
    },
  };
}
