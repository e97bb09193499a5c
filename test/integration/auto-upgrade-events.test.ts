/**
 * The local event path of a publish (local/events.ts) on DynamoDB Local: the table's
 * stream carries the VersionPublished item to the auto-upgrade handler module, as the
 * pipe and the rule do in AWS; and ensureTable gives the table its stream.
 *
 * The runtime starts its own events reader, but keeps what it delivered to itself; so
 * this file starts a second reader beside the API, whose invocations (and what the real
 * handler answered them) it records. Both deliver every event: the run markers make the
 * second delivery harmless, and nothing here depends on which one handles a profile first.
 * The profiles here start no run (disabled, or admitted nothing); publishes that start runs
 * are test/integration/auto-upgrade-fanout.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createLogger } from '../../functions/common/logger.js';
import { LOCAL_TABLE_NAME } from '../../functions/domain/table-schema.js';
import { ensureTable, localClient } from '../../local/dynamodb-local.js';
import { type LocalEvents, startLocalEvents } from '../../local/events.js';
import { AUTO_UPGRADE_FUNCTION_NAME, invokeLocalFunction } from '../../local/lambdas.js';
import { startTestApi, type TestApi, unique } from '../support/api.js';
import { seedComponent } from '../support/fixtures.js';

let api: TestApi;
let events: LocalEvents;
/** Every invocation the reader made, with what the real handler answered. */
const delivered: { name: string; payload: { componentId: string; version: string }; result?: unknown; error?: string }[] = [];

beforeAll(async () => {
  api = await startTestApi();
  events = await startLocalEvents({
    endpoint: inject('dynamodbEndpoint'),
    tableName: LOCAL_TABLE_NAME,
    logger: createLogger('silent'),
    retryDelaysMs: [],
    invoke: async (name, payload) => {
      const entry = { name, payload: payload as { componentId: string; version: string } };
      try {
        delivered.push({ ...entry, result: await invokeLocalFunction(name, payload) });
      } catch (error) {
        delivered.push({ ...entry, error: (error as Error).message });
        throw error;
      }
    },
  });
});
afterAll(async () => {
  await events?.stop();
  await api?.stop();
});

const deliveriesOf = (componentId: string) => delivered.filter((entry) => entry.payload.componentId === componentId);

describe('local events', () => {
  it('hands every published version to the auto-upgrade handler, once', async () => {
    const { componentId, admin } = await seedComponent(api, ['1.0.0']);
    const published = await api.request('POST', `/v1/components/${componentId}/versions`, { token: admin, body: { version: '1.0.1' } });
    expect(published.status).toBe(201);

    await vi.waitFor(() => expect(deliveriesOf(componentId)).toHaveLength(2), { timeout: 5_000, interval: 50 });
    // Delivered in order, each as an asynchronous invocation: they may finish in any order.
    const byVersion = deliveriesOf(componentId).sort((a, b) => a.payload.version.localeCompare(b.payload.version));
    expect(byVersion).toEqual([
      { name: AUTO_UPGRADE_FUNCTION_NAME, payload: { componentId, version: '1.0.0' }, result: { outcomes: [] } },
      { name: AUTO_UPGRADE_FUNCTION_NAME, payload: { componentId, version: '1.0.1' }, result: { outcomes: [] } },
    ]);
    // Nothing else of the publish (the version item, the component) is an event.
    await new Promise((done) => setTimeout(done, 600));
    expect(deliveriesOf(componentId)).toHaveLength(2);
  });

  it('runs the handler module over the table: the component’s profiles found, disabled and non-admitting ones left alone', async () => {
    const { componentId, admin } = await seedComponent(api, ['1.0.0']);
    const tenant = unique('acme');
    const operator = await api.token({ tenant, roles: ['operator'] });
    const strategy = await api.request('POST', `/v1/tenants/${tenant}/update-strategies`, {
      token: operator,
      body: { name: 'waves', stages: [{ name: 'all', groups: [{ name: 'all', selector: { matchLabels: { tier: 'web' } } }] }] },
    });
    expect(strategy.status, JSON.stringify(strategy.body)).toBe(201);
    for (const body of [
      { name: 'off', componentId, channel: 'patch', strategyName: 'waves', disabled: true },
      // The tenant runs no service of the component: nothing to upgrade.
      { name: 'patches', componentId, channel: 'patch', strategyName: 'waves' },
    ]) {
      expect((await api.request('POST', `/v1/tenants/${tenant}/auto-upgrade-profiles`, { token: operator, body })).status).toBe(201);
    }
    expect((await api.request('POST', `/v1/components/${componentId}/versions`, { token: admin, body: { version: '1.0.1' } })).status).toBe(
      201,
    );
    await vi.waitFor(() => expect(deliveriesOf(componentId).map((entry) => entry.payload.version)).toContain('1.0.1'), {
      timeout: 5_000,
      interval: 50,
    });
    expect(deliveriesOf(componentId).find((entry) => entry.payload.version === '1.0.1')?.result).toEqual({
      outcomes: [
        { tenantId: tenant, profile: 'off', outcome: 'disabled' },
        { tenantId: tenant, profile: 'patches', outcome: 'not-admitted' },
      ],
    });
  });

  it('refuses an event that is not {componentId, version}', async () => {
    await expect(invokeLocalFunction(AUTO_UPGRADE_FUNCTION_NAME, { componentId: 'cmp_x' })).rejects.toThrow();
    await expect(invokeLocalFunction(AUTO_UPGRADE_FUNCTION_NAME, { componentId: 'cmp_x', version: '1.0.0', extra: 1 })).rejects.toThrow();
  });
});

describe('ensureTable', () => {
  it('creates the table with a NEW_IMAGE stream, and turns the stream on for a table made without one', async () => {
    const endpoint = inject('dynamodbEndpoint');
    const client = localClient(endpoint);
    const fresh = `sluice-stream-${randomUUID().slice(0, 8)}`;
    const old = `sluice-nostream-${randomUUID().slice(0, 8)}`;
    try {
      await ensureTable(endpoint, fresh);
      const created = await client.send(new DescribeTableCommand({ TableName: fresh }));
      expect(created.Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });

      await client.send(
        new CreateTableCommand({
          TableName: old,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      );
      await ensureTable(endpoint, old);
      const updated = await client.send(new DescribeTableCommand({ TableName: old }));
      expect(updated.Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
      // Again: an enabled stream is left as it is.
      await ensureTable(endpoint, old);
    } finally {
      for (const name of [fresh, old]) await client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
      client.destroy();
    }
  });
});
