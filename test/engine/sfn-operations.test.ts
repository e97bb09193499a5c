// The operations beyond the core set, through the real @aws-sdk/client-sfn
// (and the AWS CLI when installed), as the SFN API reference describes them:
// UpdateStateMachine, DescribeStateMachineForExecution,
// ValidateStateMachineDefinition, tags, StartSyncExecution (EXPRESS only),
// TestState, RedriveExecution, versions (none published locally) and
// activities ("Learn about Activities in Step Functions": GetActivityTask,
// SendTask* on activity tokens, TimeoutSeconds and HeartbeatSeconds).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  ActivityDoesNotExist,
  CreateActivityCommand,
  CreateStateMachineCommand,
  DeleteActivityCommand,
  DescribeActivityCommand,
  DescribeExecutionCommand,
  DescribeStateMachineForExecutionCommand,
  GetActivityTaskCommand,
  GetExecutionHistoryCommand,
  ListActivitiesCommand,
  ListStateMachineVersionsCommand,
  ListTagsForResourceCommand,
  PublishStateMachineVersionCommand,
  RedriveExecutionCommand,
  ResourceNotFound,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  StateMachineTypeNotSupported,
  TagResourceCommand,
  TestStateCommand,
  UntagResourceCommand,
  UpdateStateMachineCommand,
  ValidateStateMachineDefinitionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type SfnEngine, type SfnServer, startSfnServer } from '../../local/engine/index.js';
import { awsCliEnv, hasAwsCli } from '../support/aws-cli.js';

let engine: SfnEngine;
let server: SfnServer;
let sfn: SFNClient;
let failNext = true;

beforeAll(async () => {
  engine = await createEngine({
    timeScale: 1000,
    activityPollMilliseconds: 50,
    invokeLambda: async (fn, payload) => {
      if (fn.endsWith('flaky') && failNext) {
        failNext = false;
        throw Object.assign(new Error('first call fails'), { name: 'Flaky' });
      }
      return payload;
    },
  });
  server = await startSfnServer(engine, { port: 0 });
  // StartSyncExecution is sent to the `sync-` host prefix in AWS; a local endpoint has none.
  sfn = new SFNClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    disableHostPrefix: true,
  });
});

afterAll(async () => {
  sfn.destroy();
  await server.close();
  await engine.close();
});

let n = 0;
const unique = (prefix: string): string => {
  n += 1;
  return `${prefix}-${n}-${Date.now()}`;
};

const pass = (result: unknown): string => JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', Result: result, End: true } } });

async function finished(executionArn: string): Promise<{ status?: string; output?: string; error?: string; redriveCount?: number }> {
  for (let i = 0; i < 2000; i += 1) {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status !== 'RUNNING') return d;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error('execution did not finish');
}

describe('state machine operations', () => {
  it('UpdateStateMachine changes the definition for new executions; DescribeStateMachineForExecution answers what each ran', async () => {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name: unique('upd'), definition: pass('v1'), roleArn: 'arn:aws:iam::000000000000:role/r' }),
    );
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
    await finished(first.executionArn as string);
    const updated = await sfn.send(new UpdateStateMachineCommand({ stateMachineArn, definition: pass('v2') }));
    expect(updated.updateDate).toBeInstanceOf(Date);
    const second = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
    expect((await finished(second.executionArn as string)).output).toBe('"v2"');
    const forFirst = await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn: first.executionArn }));
    expect(forFirst.definition).toBe(pass('v1'));
    expect(forFirst.updateDate).toBeInstanceOf(Date);
    const forSecond = await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn: second.executionArn }));
    expect(forSecond.definition).toBe(pass('v2'));
    await expect(
      sfn.send(new UpdateStateMachineCommand({ stateMachineArn, definition: '{"StartAt":"X","States":{}}' })),
    ).rejects.toMatchObject({
      name: 'InvalidDefinition',
    });
  });

  it('ValidateStateMachineDefinition answers OK, or FAIL with a diagnostic that locates the problem', async () => {
    const ok = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: pass(1.5) }));
    expect(ok).toMatchObject({ result: 'OK', diagnostics: [] });
    const bad = await sfn.send(
      new ValidateStateMachineDefinitionCommand({
        definition: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 'x.$': 'States.Nope()' }, End: true } } }),
      }),
    );
    expect(bad.result).toBe('FAIL');
    expect(bad.diagnostics?.[0]).toMatchObject({ severity: 'ERROR', code: 'SCHEMA_VALIDATION_FAILED', location: '/States/P/Parameters' });
  });

  it('tags: given at creation, added, listed, removed; an unknown resource is ResourceNotFound', async () => {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: unique('tags'),
        definition: pass(1),
        roleArn: 'arn:aws:iam::000000000000:role/r',
        tags: [{ key: 'team', value: 'a' }],
      }),
    );
    await sfn.send(
      new TagResourceCommand({
        resourceArn: stateMachineArn,
        tags: [
          { key: 'env', value: 'dev' },
          { key: 'team', value: 'b' },
        ],
      }),
    );
    expect((await sfn.send(new ListTagsForResourceCommand({ resourceArn: stateMachineArn }))).tags).toEqual([
      { key: 'team', value: 'b' },
      { key: 'env', value: 'dev' },
    ]);
    await sfn.send(new UntagResourceCommand({ resourceArn: stateMachineArn, tagKeys: ['team', 'absent'] }));
    expect((await sfn.send(new ListTagsForResourceCommand({ resourceArn: stateMachineArn }))).tags).toEqual([{ key: 'env', value: 'dev' }]);
    await expect(
      sfn.send(new ListTagsForResourceCommand({ resourceArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:none' })),
    ).rejects.toBeInstanceOf(ResourceNotFound);
  });

  it('StartSyncExecution runs an EXPRESS machine to its end; a STANDARD one is StateMachineTypeNotSupported', async () => {
    const express = await sfn.send(
      new CreateStateMachineCommand({
        name: unique('express'),
        definition: pass({ ok: true }),
        roleArn: 'arn:aws:iam::000000000000:role/r',
        type: 'EXPRESS',
      }),
    );
    const r = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: express.stateMachineArn, input: '{}' }));
    expect(r).toMatchObject({ status: 'SUCCEEDED', output: '{"ok":true}' });
    expect(r.stopDate).toBeInstanceOf(Date);
    const standard = await sfn.send(
      new CreateStateMachineCommand({ name: unique('standard'), definition: pass(1), roleArn: 'arn:aws:iam::000000000000:role/r' }),
    );
    await expect(sfn.send(new StartSyncExecutionCommand({ stateMachineArn: standard.stateMachineArn }))).rejects.toBeInstanceOf(
      StateMachineTypeNotSupported,
    );
  });

  it('TestState runs one state: its output and next state, a caught error, a failure', async () => {
    const passState = { Type: 'Pass', Parameters: { 'sum.$': 'States.MathAdd($.a, 1)' }, ResultPath: '$.r', Next: 'Later' };
    const ok = await sfn.send(
      new TestStateCommand({ definition: JSON.stringify(passState), input: '{"a":1}', roleArn: 'arn:aws:iam::000000000000:role/r' }),
    );
    expect(ok).toMatchObject({ status: 'SUCCEEDED', output: '{"a":1,"r":{"sum":2}}', nextState: 'Later' });
    const task = {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'x', 'Payload.$': 'States.ArrayGetItem($.list, 5)' },
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Recover' }],
      End: true,
    };
    const caught = await sfn.send(
      new TestStateCommand({ definition: JSON.stringify(task), input: '{"list":[]}', roleArn: 'arn:aws:iam::000000000000:role/r' }),
    );
    expect(caught).toMatchObject({ status: 'CAUGHT_ERROR', nextState: 'Recover' });
    const failed = await sfn.send(
      new TestStateCommand({
        definition: JSON.stringify({ Type: 'Fail', Error: 'E', Cause: 'c' }),
        roleArn: 'arn:aws:iam::000000000000:role/r',
      }),
    );
    expect(failed).toMatchObject({ status: 'FAILED', error: 'E', cause: 'c' });
  });

  it('RedriveExecution goes on from the failed state; a succeeded execution is not redrivable', async () => {
    failNext = true;
    const definition = JSON.stringify({
      StartAt: 'Before',
      States: {
        Before: { Type: 'Pass', Result: 'before', ResultPath: '$.before', Next: 'Call' },
        Call: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:flaky', End: true },
      },
    });
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name: unique('redrive'), definition, roleArn: 'arn:aws:iam::000000000000:role/r' }),
    );
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{"x":1}' }));
    expect((await finished(executionArn as string)).error).toBe('Flaky');
    await sfn.send(new RedriveExecutionCommand({ executionArn }));
    const done = await finished(executionArn as string);
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: '{"x":1,"before":"before"}', redriveCount: 1 });
    const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const types = events?.map((e) => e.type) ?? [];
    expect(types.filter((t) => t === 'PassStateEntered')).toHaveLength(1);
    expect(types).toContain('ExecutionRedriven');
    await expect(sfn.send(new RedriveExecutionCommand({ executionArn }))).rejects.toMatchObject({ name: 'ExecutionNotRedrivable' });
  });

  it('versions: none are listed, and publishing one answers a clear ValidationException', async () => {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name: unique('ver'), definition: pass(1), roleArn: 'arn:aws:iam::000000000000:role/r' }),
    );
    expect((await sfn.send(new ListStateMachineVersionsCommand({ stateMachineArn }))).stateMachineVersions).toEqual([]);
    await expect(sfn.send(new PublishStateMachineVersionCommand({ stateMachineArn }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'State machine versions are not supported by the local engine',
    });
  });
});

describe('activities', () => {
  async function activityMachine(
    name: string,
    extra: Record<string, unknown> = {},
  ): Promise<{ activityArn: string; stateMachineArn: string }> {
    const { activityArn } = await sfn.send(new CreateActivityCommand({ name }));
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: unique('act-sm'),
        roleArn: 'arn:aws:iam::000000000000:role/r',
        definition: JSON.stringify({
          StartAt: 'Work',
          States: {
            Work: { Type: 'Task', Resource: activityArn, Parameters: { 'job.$': '$.job' }, ResultPath: '$.result', End: true, ...extra },
          },
        }),
      }),
    );
    return { activityArn: activityArn as string, stateMachineArn: stateMachineArn as string };
  }

  async function poll(activityArn: string): Promise<{ taskToken?: string; input?: string }> {
    for (let i = 0; i < 200; i += 1) {
      const task = await sfn.send(new GetActivityTaskCommand({ activityArn, workerName: 'w1' }));
      if (task.taskToken !== undefined) return task;
    }
    throw new Error('no activity task');
  }

  it('create, describe, list (idempotent by name), delete', async () => {
    const name = unique('act');
    const a = await sfn.send(new CreateActivityCommand({ name }));
    expect(a.activityArn).toBe(`arn:aws:states:us-east-1:000000000000:activity:${name}`);
    expect((await sfn.send(new CreateActivityCommand({ name }))).activityArn).toBe(a.activityArn);
    expect(await sfn.send(new DescribeActivityCommand({ activityArn: a.activityArn }))).toMatchObject({ name, activityArn: a.activityArn });
    expect((await sfn.send(new ListActivitiesCommand({}))).activities?.map((x) => x.name)).toContain(name);
    await sfn.send(new DeleteActivityCommand({ activityArn: a.activityArn }));
    await expect(sfn.send(new DescribeActivityCommand({ activityArn: a.activityArn }))).rejects.toBeInstanceOf(ActivityDoesNotExist);
  });

  it('GetActivityTask answers no task after the long poll when nothing is scheduled', async () => {
    const { activityArn } = await sfn.send(new CreateActivityCommand({ name: unique('idle') }));
    const task = await sfn.send(new GetActivityTaskCommand({ activityArn }));
    expect(task.taskToken).toBeUndefined();
  });

  it('the Task waits for a worker, who gets the input and a token, heartbeats and answers with SendTaskSuccess', async () => {
    const { activityArn, stateMachineArn } = await activityMachine(unique('worker'), { HeartbeatSeconds: 3600 });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{"job":"j-1"}' }));
    const task = await poll(activityArn);
    expect(JSON.parse(task.input ?? '')).toEqual({ job: 'j-1' });
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: task.taskToken }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: '{"done":true}' }));
    expect(await finished(executionArn as string)).toMatchObject({ status: 'SUCCEEDED', output: '{"job":"j-1","result":{"done":true}}' });
    const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events?.map((e) => e.type)).toEqual(expect.arrayContaining(['ActivityScheduled', 'ActivityStarted', 'ActivitySucceeded']));
  });

  it('SendTaskFailure fails the task with the worker error', async () => {
    const { activityArn, stateMachineArn } = await activityMachine(unique('failing'));
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{"job":2}' }));
    const task = await poll(activityArn);
    await sfn.send(new SendTaskFailureCommand({ taskToken: task.taskToken, error: 'Worker.Broke', cause: 'disk' }));
    expect(await finished(executionArn as string)).toMatchObject({ status: 'FAILED', error: 'Worker.Broke' });
  });

  it('TimeoutSeconds ends a task no worker took with States.Timeout; the task is then gone from the queue', async () => {
    const { activityArn, stateMachineArn } = await activityMachine(unique('nobody'), { TimeoutSeconds: 1 });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{"job":3}' }));
    expect(await finished(executionArn as string)).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect((await sfn.send(new GetActivityTaskCommand({ activityArn }))).taskToken).toBeUndefined();
  });

  it('HeartbeatSeconds: a worker that took the task and went silent times it out with States.HeartbeatTimeout', async () => {
    const { activityArn, stateMachineArn } = await activityMachine(unique('silent'), { HeartbeatSeconds: 1 });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{"job":4}' }));
    const task = await poll(activityArn);
    expect(await finished(executionArn as string)).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: '{}' }))).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
  });
});

describe.skipIf(!hasAwsCli)('the AWS CLI (skipped when `aws` is not installed)', () => {
  const run = promisify(execFile);
  // start-sync-execution and test-state go to a `sync-` host prefix in AWS; a local endpoint has none.
  const cliEnv = awsCliEnv({ AWS_DISABLE_HOST_PREFIX_INJECTION: 'true' });
  const cli = async (...args: string[]): Promise<Record<string, unknown>> => {
    const { stdout } = await run('aws', ['stepfunctions', ...args, '--endpoint-url', server.url, '--output', 'json'], { env: cliEnv });
    return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
  };

  it('create, update, describe-for-execution, validate, tags, test-state, versions and activities answer', async () => {
    const name = unique('cli');
    const created = await cli(
      'create-state-machine',
      '--name',
      name,
      '--definition',
      pass(1),
      '--role-arn',
      'arn:aws:iam::000000000000:role/r',
    );
    const arn = created.stateMachineArn as string;
    await cli('update-state-machine', '--state-machine-arn', arn, '--definition', pass(2));
    const started = await cli('start-execution', '--state-machine-arn', arn);
    await finished(started.executionArn as string);
    expect((await cli('describe-state-machine-for-execution', '--execution-arn', started.executionArn as string)).definition).toBe(pass(2));
    expect((await cli('validate-state-machine-definition', '--definition', pass(1))).result).toBe('OK');
    await cli('tag-resource', '--resource-arn', arn, '--tags', 'key=team,value=a');
    expect((await cli('list-tags-for-resource', '--resource-arn', arn)).tags).toEqual([{ key: 'team', value: 'a' }]);
    await cli('untag-resource', '--resource-arn', arn, '--tag-keys', 'team');
    expect(
      (
        await cli(
          'test-state',
          '--definition',
          '{"Type":"Pass","End":true}',
          '--role-arn',
          'arn:aws:iam::000000000000:role/r',
          '--input',
          '{"a":1}',
        )
      ).output,
    ).toBe('{"a":1}');
    expect((await cli('list-state-machine-versions', '--state-machine-arn', arn)).stateMachineVersions).toEqual([]);
    const activity = await cli('create-activity', '--name', unique('cli-act'));
    expect((await cli('list-activities')).activities).toEqual(
      expect.arrayContaining([expect.objectContaining({ activityArn: activity.activityArn })]),
    );
    expect(await cli('get-activity-task', '--activity-arn', activity.activityArn as string)).toEqual({});
  });

  it('start-sync-execution runs an EXPRESS machine', async () => {
    const created = await cli(
      'create-state-machine',
      '--name',
      unique('cli-express'),
      '--definition',
      pass('sync'),
      '--role-arn',
      'arn:aws:iam::000000000000:role/r',
      '--type',
      'EXPRESS',
    );
    const r = await cli('start-sync-execution', '--state-machine-arn', created.stateMachineArn as string);
    expect(r).toMatchObject({ status: 'SUCCEEDED', output: '"sync"' });
  });
});
