// The engine driven only through the real @aws-sdk/client-sfn over the
// AWS JSON 1.0 HTTP server: the SDK's own serde must accept every answer.
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidDefinition,
  ListExecutionsCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type SfnServer, startSfnServer } from '../../local/engine/index.js';

let server: SfnServer;
let sfn: SFNClient;
const tokens: string[] = [];

beforeAll(async () => {
  // The Lambda side of the flow: it receives the token like a real function would.
  const engine = await createEngine({
    timeScale: 1000,
    invokeLambda: async (_fn, payload) => {
      tokens.push((payload as { token: string }).token);
      return { queued: true };
    },
  });
  server = await startSfnServer(engine, { port: 0 });
  sfn = new SFNClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

afterAll(async () => {
  sfn.destroy();
  await server.close();
});

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 500; i += 1) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('condition not met');
}

const definition = JSON.stringify({
  StartAt: 'Ask',
  States: {
    Ask: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'approver', Payload: { 'token.$': '$$.Task.Token', 'request.$': '$' } },
      ResultPath: '$.decision',
      Next: 'Pause',
    },
    Pause: { Type: 'Wait', Seconds: 1, Next: 'Done' },
    Done: { Type: 'Succeed' },
  },
});

describe('SFN API over HTTP with @aws-sdk/client-sfn', () => {
  it('creates, starts, waits on a token, completes with SendTaskSuccess, describes and reads history', async () => {
    const created = await sfn.send(
      new CreateStateMachineCommand({ name: 'approval', definition, roleArn: 'arn:aws:iam::000000000000:role/x' }),
    );
    expect(created.stateMachineArn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:approval');
    expect(created.creationDate).toBeInstanceOf(Date);

    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }));
    expect(described.definition).toBe(definition);

    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: created.stateMachineArn, name: 'req-1', input: JSON.stringify({ item: 'x' }) }),
    );
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:approval:req-1');
    expect(started.startDate).toBeInstanceOf(Date);

    const token = await until(async () => tokens[0]);
    const running = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(running.status).toBe('RUNNING');

    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: true }) }));
    const done = await until(async () => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      return d.status === 'RUNNING' ? undefined : d;
    });
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? '')).toEqual({ item: 'x', decision: { approved: true } });
    expect(done.stopDate).toBeInstanceOf(Date);
    expect((done.stopDate?.getTime() ?? 0) >= (done.startDate?.getTime() ?? Infinity)).toBe(true);

    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }));
    const types = (history.events ?? []).map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types).toContain('TaskSubmitted');
    expect(types).toContain('WaitStateExited');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(history.events?.[0]?.timestamp).toBeInstanceOf(Date);
    expect(history.events?.find((e) => e.type === 'TaskSucceeded')?.taskSucceededEventDetails?.output).toBe('{"approved":true}');

    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: created.stateMachineArn, statusFilter: 'SUCCEEDED' }));
    expect(listed.executions?.map((e) => e.name)).toEqual(['req-1']);

    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toBeInstanceOf(TaskDoesNotExist);
  });

  it('maps API errors to the SDK exception classes', async () => {
    await expect(
      sfn.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:approval:nope' })),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(
      sfn.send(new CreateStateMachineCommand({ name: 'broken', definition: '{}', roleArn: 'arn:aws:iam::0:role/x' })),
    ).rejects.toBeInstanceOf(InvalidDefinition);
  });

  it('StopExecution ends a running execution ABORTED', async () => {
    const created = await sfn.send(
      new CreateStateMachineCommand({
        name: 'long-wait',
        definition: JSON.stringify({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 86400, End: true } } }),
        roleArn: 'arn:aws:iam::000000000000:role/x',
      }),
    );
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: created.stateMachineArn }));
    await sfn.send(new StopExecutionCommand({ executionArn: started.executionArn, error: 'Ops', cause: 'not needed' }));
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(d).toMatchObject({ status: 'ABORTED', error: 'Ops', cause: 'not needed' });
  });
});
