/**
 * The local runtime's progress log: with the table stream read (as `npm start` does), a
 * real upgrade's timeline comes out as one info line per event through the runtime's
 * logger (local/progress-lines.ts), and a reader logging at warn says nothing of it.
 */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createLogger } from '../../functions/common/logger.js';
import { localClient } from '../../local/dynamodb-local.js';
import { type LocalEvents, startLocalEvents } from '../../local/events.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { startUpgrade, TERMINAL, type UpgradeWorld, upgradeWorld } from '../support/upgrades.js';

// A table of this file's own: every reader of the shared one would log every file's events.
const tableName = `sluice-progress-${randomUUID().slice(0, 8)}`;
const endpoint = inject('dynamodbEndpoint');
const info: { level: string; message: string }[] = [];
const warn: string[] = [];

let api: TestApi;
let world: UpgradeWorld;
let quiet: LocalEvents;
beforeAll(async () => {
  api = await startTestApi({
    tableName,
    tableEvents: true,
    logger: createLogger('info', (line) => info.push(JSON.parse(line) as { level: string; message: string })),
  });
  // A second reader of the table, as the runtime's would be at LOG_LEVEL=warn; it delivers nothing.
  quiet = await startLocalEvents({ endpoint, tableName, logger: createLogger('warn', (line) => warn.push(line)), invoke: async () => {} });
  world = await upgradeWorld(api);
});
afterAll(async () => {
  await quiet?.stop();
  await api?.stop();
  const client = localClient(endpoint);
  await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => {});
  client.destroy();
});

describe('the progress log', () => {
  it('says one info line per event of a real upgrade, naming it and its service, and nothing at warn', async () => {
    await world.service('web', 3);
    const id = await startUpgrade(world, 'web', { batchSize: 2, maxUnavailablePercentage: 67 });
    expect((await world.waitFor(id, (execution) => TERMINAL.includes(execution.status))).status).toBe('COMPLETED');
    const types = (await world.events(id)).map((event) => event.type as string);

    const mine = () => info.filter((line) => line.message.startsWith(`upgrade ${id} `));
    await vi.waitFor(() => expect(mine()).toHaveLength(types.length), { timeout: 5_000, interval: 50 });
    expect(mine().every((line) => line.level === 'INFO')).toBe(true);
    expect(mine().map((line) => line.message.split(' ')[3])).toEqual(types);
    const messages = mine().map((line) => line.message);
    expect(messages[0]).toBe(`upgrade ${id} p/web UpgradeCreated 1.0.0 → 1.1.0, ROLLING, 3 instances in 2 batches by olga`);
    expect(messages).toContain(`upgrade ${id} p/web BatchStarted batch 2/2, 1 instance`);
    expect(messages.at(-1)).toBe(`upgrade ${id} p/web UpgradeCompleted 1.1.0: 3 completed, 0 failed`);
    expect(warn).toEqual([]);
  });
});
