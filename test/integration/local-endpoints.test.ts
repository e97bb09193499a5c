import { readFileSync } from 'node:fs';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_IDEMPOTENCY_TABLE_NAME, LOCAL_TABLE_NAME } from '../../functions/domain/table-schema.js';
import { startTestApi, type TestApi } from '../support/api.js';

/**
 * Every local endpoint is unauthenticated but the API (DynamoDB Local holds every
 * tenant's webhook secrets and gate tokens), so each must listen on loopback only:
 * read the kernel's socket tables for the ports `/health` names.
 */
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.stop());

interface Listener {
  readonly address: string;
  readonly port: number;
}

/** The listening TCP sockets of this machine, from /proc/net/tcp and /proc/net/tcp6. */
function listeners(): Listener[] {
  const rows = (file: string): string[][] => {
    try {
      return readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/));
    } catch {
      return [];
    }
  };
  const parse = (local: string, v6: boolean): Listener => {
    const [hex = '', portHex = '0'] = local.split(':');
    // The kernel prints each 32-bit word in host (little-endian) byte order.
    const words = (hex.match(/.{8}/g) ?? []).map((word) => (word.match(/../g) ?? []).reverse().join(''));
    const bytes = words.join('');
    const address = v6
      ? (bytes.match(/.{4}/g) ?? []).map((group) => group.replace(/^0+(?=.)/, '')).join(':')
      : (bytes.match(/../g) ?? []).map((byte) => Number.parseInt(byte, 16)).join('.');
    return { address, port: Number.parseInt(portHex, 16) };
  };
  const LISTEN = '0A';
  return [
    ...rows('/proc/net/tcp')
      .filter((row) => row[3] === LISTEN)
      .map((row) => parse(row[1] ?? '', false)),
    ...rows('/proc/net/tcp6')
      .filter((row) => row[3] === LISTEN)
      .map((row) => parse(row[1] ?? '', true)),
  ];
}

const LOOPBACK = new Set(['127.0.0.1', '0:0:0:0:0:0:0:1', '0:0:0:0:0:ffff:7f00:1']);

describe.skipIf(process.platform !== 'linux')('local endpoints', () => {
  it('each listen on loopback only, never on every interface', async () => {
    const health = await api.request<{ endpoints: Record<string, string> }>('GET', '/health');
    expect(health.status).toBe(200);
    const endpoints = health.body.endpoints;
    expect(Object.keys(endpoints).sort()).toEqual(['api', 'cloudwatch', 'dynamodb', 'scheduler', 'stepfunctions']);
    const sockets = listeners();
    for (const [name, url] of Object.entries(endpoints)) {
      const port = Number(new URL(url).port);
      const bound = sockets.filter((socket) => socket.port === port).map((socket) => socket.address);
      expect(bound, `${name} (${url}) listens`).not.toEqual([]);
      expect(
        bound.filter((address) => !LOOPBACK.has(address)),
        `${name} (${url}) listens beyond loopback`,
      ).toEqual([]);
    }
  });
});

describe('DynamoDB Local', () => {
  it('is one database whatever the credentials and region (-sharedDb): the AWS CLI with your own keys sees the tables', async () => {
    const health = await api.request<{ endpoints: Record<string, string> }>('GET', '/health');
    const endpoint = health.body.endpoints.dynamodb;
    // DynamoDB Local 2 refuses an access key id with anything but letters and digits.
    for (const [region, accessKeyId] of [
      ['us-east-1', 'AKIAIOSFODNN7EXAMPLE'],
      ['eu-west-3', 'someoneElse42'],
    ] as const) {
      const client = new DynamoDBClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey: 'whatever' } });
      try {
        const { TableNames } = await client.send(new ListTablesCommand({}));
        expect(TableNames, `${accessKeyId} in ${region}`).toEqual(expect.arrayContaining([LOCAL_TABLE_NAME, LOCAL_IDEMPOTENCY_TABLE_NAME]));
      } finally {
        client.destroy();
      }
    }
  });
});
