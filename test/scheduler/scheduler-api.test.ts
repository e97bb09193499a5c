import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { afterEach, describe, expect, it } from 'vitest';
import { atExpression, parseAtExpression } from '../../functions/pipeline/schedules.js';
import { LocalScheduler, type SchedulerServer, startSchedulerServer } from '../../local/scheduler/index.js';
import { waitFor } from '../support/wait.js';

const TARGET = 'arn:aws:lambda:us-east-1:000000000000:function:target';
const ROLE = 'arn:aws:iam::000000000000:role/scheduler';

interface World {
  scheduler: LocalScheduler;
  server: SchedulerServer;
  client: SchedulerClient;
  invoked: { arn: string; payload: unknown }[];
}
const worlds: World[] = [];
const dirs: string[] = [];

async function world(options: { timeScale?: number; persistDir?: string; fail?: (payload: unknown) => boolean } = {}): Promise<World> {
  const invoked: World['invoked'] = [];
  const scheduler = await LocalScheduler.create({
    timeScale: options.timeScale ?? 1,
    ...(options.persistDir ? { persistDir: options.persistDir } : {}),
    invoke: async (arn, payload) => {
      if (options.fail?.(payload)) throw new Error('target failed');
      invoked.push({ arn, payload });
    },
  });
  scheduler.start();
  const server = await startSchedulerServer(scheduler, { port: 0 });
  const client = new SchedulerClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const created = { scheduler, server, client, invoked };
  worlds.push(created);
  return created;
}

async function stop(w: World): Promise<void> {
  w.client.destroy();
  await w.server.close();
  await w.scheduler.close();
  worlds.splice(worlds.indexOf(w), 1);
}

afterEach(async () => {
  for (const w of [...worlds]) await stop(w);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const input = (name: string, at: Date, extra: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput => ({
  Name: name,
  ScheduleExpression: atExpression(at),
  ScheduleExpressionTimezone: 'UTC',
  FlexibleTimeWindow: { Mode: 'OFF' },
  Target: { Arn: TARGET, RoleArn: ROLE, Input: JSON.stringify({ name }) },
  ActionAfterCompletion: 'DELETE',
  ...extra,
});

const waitUntil = (predicate: () => boolean, timeoutMs = 5000) => waitFor(predicate, { timeout: timeoutMs, interval: 10 });

describe('embedded EventBridge Scheduler, through @aws-sdk/client-scheduler', () => {
  it('creates, gets, updates, lists and deletes a one-time schedule', async () => {
    const { client } = await world();
    const far = new Date(Date.now() + 86_400_000);
    const created = await client.send(new CreateScheduleCommand({ ...input('one', far), Description: 'first' }));
    expect(created.ScheduleArn).toBe('arn:aws:scheduler:us-east-1:000000000000:schedule/default/one');

    const got = await client.send(new GetScheduleCommand({ Name: 'one' }));
    expect(got).toMatchObject({
      Name: 'one',
      GroupName: 'default',
      State: 'ENABLED',
      ScheduleExpression: atExpression(far),
      ActionAfterCompletion: 'DELETE',
      Description: 'first',
    });
    expect(got.Target).toMatchObject({ Arn: TARGET, RoleArn: ROLE, Input: '{"name":"one"}' });
    expect(got.CreationDate).toBeInstanceOf(Date);
    expect(Math.abs((got.CreationDate?.getTime() ?? 0) - Date.now())).toBeLessThan(5000);

    const later = new Date(far.getTime() + 3_600_000);
    await client.send(new UpdateScheduleCommand(input('one', later)));
    expect((await client.send(new GetScheduleCommand({ Name: 'one' }))).ScheduleExpression).toBe(atExpression(later));

    await client.send(new CreateScheduleCommand(input('two', far)));
    await client.send(new CreateScheduleCommand(input('other', far)));
    const listed = await client.send(new ListSchedulesCommand({ NamePrefix: 't' }));
    expect(listed.Schedules?.map((s) => s.Name)).toEqual(['two']);
    const paged = await client.send(new ListSchedulesCommand({ MaxResults: 2 }));
    expect(paged.Schedules).toHaveLength(2);
    expect(paged.NextToken).toBeDefined();
    const rest = await client.send(new ListSchedulesCommand({ MaxResults: 2, NextToken: paged.NextToken }));
    expect([...(paged.Schedules ?? []), ...(rest.Schedules ?? [])].map((s) => s.Name)).toEqual(['one', 'other', 'two']);

    await client.send(new DeleteScheduleCommand({ Name: 'one' }));
    await expect(client.send(new GetScheduleCommand({ Name: 'one' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('answers the SDK error types: ConflictException, ResourceNotFoundException, ValidationException', async () => {
    const { client } = await world();
    const far = new Date(Date.now() + 86_400_000);
    await client.send(new CreateScheduleCommand(input('dup', far)));
    await expect(client.send(new CreateScheduleCommand(input('dup', far)))).rejects.toBeInstanceOf(ConflictException);
    await expect(client.send(new DeleteScheduleCommand({ Name: 'missing' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(client.send(new UpdateScheduleCommand(input('missing', far)))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(client.send(new CreateScheduleCommand(input('bad', far, { ScheduleExpression: 'at(tomorrow)' })))).rejects.toBeInstanceOf(
      ValidationException,
    );
    await expect(client.send(new CreateScheduleCommand(input('in-no-group', far, { GroupName: 'nope' })))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await client.send(new CreateScheduleGroupCommand({ Name: 'mine' }));
    await client.send(new CreateScheduleCommand(input('grouped', far, { GroupName: 'mine' })));
    expect((await client.send(new GetScheduleCommand({ Name: 'grouped', GroupName: 'mine' }))).GroupName).toBe('mine');
    await expect(client.send(new GetScheduleCommand({ Name: 'grouped' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('fires a due schedule with its Input as the event, then deletes it (ActionAfterCompletion DELETE)', async () => {
    const w = await world();
    await w.client.send(new CreateScheduleCommand(input('soon', new Date(Date.now() + 1000))));
    await waitUntil(() => w.invoked.length === 1);
    expect(w.invoked[0]).toEqual({ arn: TARGET, payload: { name: 'soon' } });
    await waitUntil(() => w.scheduler.pendingCount === 0);
    await expect(w.client.send(new GetScheduleCommand({ Name: 'soon' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('compresses the wait by the time scale: a day passes in a tenth of a second at 864000x', async () => {
    const w = await world({ timeScale: 864_000 });
    const started = Date.now();
    await w.client.send(new CreateScheduleCommand(input('a-day', new Date(Date.now() + 86_400_000))));
    await waitUntil(() => w.invoked.length === 1, 3000);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('retries a failing target, then puts the event in the dead-letter list', async () => {
    const w = await world({ timeScale: 1000, fail: () => true });
    await w.client.send(
      new CreateScheduleCommand(
        input('doomed', new Date(Date.now() - 1000), {
          Target: {
            Arn: TARGET,
            RoleArn: ROLE,
            Input: '{"x":1}',
            RetryPolicy: { MaximumRetryAttempts: 2 },
            DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:000000000000:dlq' },
          },
        }),
      ),
    );
    await waitUntil(() => w.scheduler.deadLetters.length === 1);
    expect(w.scheduler.deadLetters[0]).toMatchObject({
      schedule: 'doomed',
      deadLetterArn: 'arn:aws:sqs:us-east-1:000000000000:dlq',
      input: '{"x":1}',
    });
  });

  it('has a schedule on disk by the time CreateSchedule answers (a process killed then loses nothing)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-scheduler-'));
    dirs.push(dir);
    const w = await world({ persistDir: dir });
    for (const name of ['one', 'two', 'three']) {
      await w.client.send(new CreateScheduleCommand(input(name, new Date(Date.now() + 86_400_000))));
      // Read at once, without waiting for anything: what a restart would load.
      const stored = JSON.parse(readFileSync(join(dir, 'schedules.json'), 'utf8')) as { schedules: { Name: string }[] };
      expect(stored.schedules.map((schedule) => schedule.Name)).toContain(name);
    }
    await w.client.send(new DeleteScheduleCommand({ Name: 'two' }));
    const stored = JSON.parse(readFileSync(join(dir, 'schedules.json'), 'utf8')) as { schedules: { Name: string }[] };
    expect(stored.schedules.map((schedule) => schedule.Name).sort()).toEqual(['one', 'three']);
  });

  it('survives a restart with persistDir, and fires overdue schedules on start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-scheduler-'));
    dirs.push(dir);
    const first = await world({ persistDir: dir });
    const overdue = input('overdue', new Date(Date.now() + 1500));
    await first.client.send(new CreateScheduleCommand(overdue));
    await first.client.send(new CreateScheduleCommand(input('later', new Date(Date.now() + 86_400_000))));
    await stop(first);
    expect(first.invoked).toEqual([]);
    // Down past its time: the schedule is overdue once the clock has passed the instant its at() names.
    const due = parseAtExpression(overdue.ScheduleExpression ?? '');
    expect(due).toBeInstanceOf(Date);
    await waitUntil(() => Date.now() > (due?.getTime() ?? Number.POSITIVE_INFINITY), 5000);

    const second = await world({ persistDir: dir });
    await waitUntil(() => second.invoked.length === 1);
    expect(second.invoked[0]?.payload).toEqual({ name: 'overdue' });
    expect((await second.client.send(new GetScheduleCommand({ Name: 'later' }))).Name).toBe('later');
    await expect(second.client.send(new GetScheduleCommand({ Name: 'overdue' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});
