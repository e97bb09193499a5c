import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { CONTRACTS } from '../../functions/api/contracts.js';
import { ROUTES, type Role, type RouteDefinition } from '../../functions/domain/routes.js';
import { LOCAL_TABLE_NAME } from '../../functions/domain/table-schema.js';
import { startTestApi, type TestApi, unique } from '../support/api.js';
import { seedComponent } from '../support/fixtures.js';
import { useSeed } from '../support/seed.js';

/**
 * Hostile input on every mutating route: generated bodies, query strings and path
 * parameters (wrong types, missing and extra fields, huge strings, deep nesting,
 * invalid UTF-8, out-of-range numbers, non-semver versions, path separators,
 * prototype keys, malformed JSON, wrong content types), and inputs the schemas once
 * let through to a DynamoDB write that failed: prototype keys in user-keyed maps and
 * numbers DynamoDB cannot store. Every answer must be a 4xx
 * `application/problem+json` within a deadline, and the tenant's data (its partition,
 * its execution's partition, the component's partition) must not change.
 *
 * Only inputs that are really invalid are sent with the right content type: a
 * generated body that the route's own schema accepts is not hostile (a mutation that
 * happens to be a valid `{}` cancel would rightly cancel), so it is skipped.
 */

const RUNS_PER_ROUTE = Number(process.env.HOSTILE_RUNS ?? 45);
const REQUEST_DEADLINE_MS = 10_000;
const KIB = 1024;

let api: TestApi;
let db: DynamoDBDocumentClient;
const tenant = unique('hostile');
const names = { project: 'p', service: unique('svc'), destination: unique('dst'), free: unique('free') };
const world = {
  componentId: '',
  componentName: '',
  executionId: '',
  stepId: '',
  versionIds: {} as Record<string, string>,
  strategyName: 'hostile-strategy',
  runId: '',
  gateId: '',
  profileName: 'hostile-profile',
};
/** The stages of the tenant's strategy and run: one gate, one listed service. */
const STAGES = [
  {
    name: 's',
    beforeGates: [{ type: 'approval', name: 'go' }],
    groups: [{ name: 'g', services: [{ project: 'p', name: names.destination }] }],
  },
];
const tokens = new Map<string, string>();
const counts = { sent: 0, skippedAsValid: 0 };
const prototypeKeysBefore = Object.getOwnPropertyNames(Object.prototype).sort();

beforeAll(async () => {
  api = await startTestApi();
  db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: api.runtime.endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  const { componentId, name, admin } = await seedComponent(api, ['1.0.0', '1.0.1']);
  Object.assign(world, { componentId, componentName: name });
  const versions = await api.request('GET', `/v1/components/${componentId}/versions`, { token: admin });
  world.versionIds = Object.fromEntries(versions.body.items.map((v: { version: string; versionId: string }) => [v.version, v.versionId]));
  for (const role of ['operator', 'approver'] as const)
    tokens.set(role, await api.token({ tenant, roles: [role], user: `hostile-${role}` }));
  tokens.set('platform-admin', await api.token({ roles: ['platform-admin'], user: 'hostile-admin' }));
  const operator = tokens.get('operator') ?? '';
  // `free` is in no step and has no upgrade: an upgrade of it would be created.
  for (const service of [names.service, names.destination, names.free]) {
    const created = await api.request('POST', `/v1/tenants/${tenant}/projects/p/services`, {
      token: operator,
      body: { name: service, componentId, version: '1.0.0', instances: [{ id: 'i-0' }, { id: 'i-1' }] },
    });
    expect(created.status, created.text).toBe(201);
  }
  const step = await api.request('POST', `/v1/tenants/${tenant}/upgrade-pipeline/steps`, {
    token: operator,
    body: {
      sourceProjectName: 'p',
      sourceServiceName: names.service,
      destinationProjectName: 'p',
      destinationServiceName: names.destination,
    },
  });
  expect(step.status, step.text).toBe(201);
  world.stepId = step.body.stepId;
  const upgrade = await api.request('POST', `/v1/tenants/${tenant}/upgrades`, {
    token: operator,
    body: { project: 'p', service: names.service, toVersion: '1.0.1' },
  });
  expect(upgrade.status, upgrade.text).toBe(201);
  world.executionId = upgrade.body.executionId;
  const strategy = await api.request('POST', `/v1/tenants/${tenant}/update-strategies`, {
    token: operator,
    body: { name: world.strategyName, stages: STAGES },
  });
  expect(strategy.status, strategy.text).toBe(201);
  const run = await api.request('POST', `/v1/tenants/${tenant}/update-runs`, {
    token: operator,
    body: { name: 'hostile', componentId, toVersion: '1.0.1', strategyName: world.strategyName },
  });
  expect(run.status, run.text).toBe(201);
  world.runId = run.body.runId;
  world.gateId = run.body.stages[0].beforeGates[0].gateId;
  const profile = await api.request('POST', `/v1/tenants/${tenant}/auto-upgrade-profiles`, {
    token: operator,
    body: { name: world.profileName, componentId, channel: 'patch', strategyName: world.strategyName },
  });
  expect(profile.status, profile.text).toBe(201);
});

afterAll(async () => {
  db?.destroy();
  await api?.stop();
});

// ---------------------------------------------------------------------------------
// What the tenant owns, read straight from the table: nothing may change.

async function partition(pk: string): Promise<unknown[]> {
  const items: unknown[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: LOCAL_TABLE_NAME,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

const snapshot = async () => ({
  tenant: await partition(`TENANT#${tenant}`),
  execution: await partition(`UPGRADE#${world.executionId}`),
  run: await partition(`UPDATE_RUN#${world.runId}`),
  component: await partition(`COMPONENT#${world.componentId}`),
  componentName: await partition(`COMPONENT_NAME#${world.componentName}`),
});

// ---------------------------------------------------------------------------------
// Routes and their valid baselines.

type Contract = { params?: z.ZodType; query?: z.ZodType; body?: z.ZodType };
const contractOf = (route: RouteDefinition) => CONTRACTS[route.id as keyof typeof CONTRACTS] as Contract;
const mutating = (ROUTES as readonly RouteDefinition[]).filter((route) => route.access !== 'public' && route.method !== 'GET');

/** A valid body per route, so that one mutation makes it invalid in one place. */
function baseline(route: RouteDefinition): Record<string, unknown> {
  const bodies: Record<string, Record<string, unknown>> = {
    createComponent: { name: 'hostile-new-component' },
    publishVersion: { version: '1.1.0', channel: 'stable' },
    createService: { name: 'hostile-new-service', componentId: world.componentId, version: '1.0.0', instances: [{ id: 'i-0' }] },
    updateService: { powered: false },
    createUpgrade: { project: 'p', service: names.destination, toVersion: '1.0.1' },
    rollbackUpgrade: { reason: 'hostile' },
    createUpgradeStep: {
      sourceProjectName: 'p',
      sourceServiceName: names.destination,
      destinationProjectName: 'p',
      destinationServiceName: 'hostile-nobody',
    },
    updateUpgradeStep: { autoValidationDelayDays: 3 },
    createUpdateStrategy: { name: 'hostile-new-strategy', stages: STAGES },
    replaceUpdateStrategy: { stages: STAGES },
    createUpdateRun: { name: 'hostile-new-run', componentId: world.componentId, toVersion: '1.0.1', stages: STAGES },
    createAutoUpgradeProfile: {
      name: 'hostile-new-profile',
      componentId: world.componentId,
      channel: 'patch',
      strategyName: world.strategyName,
    },
    updateAutoUpgradeProfile: { disabled: true },
    registryCreateUpgrade: {
      componentId: world.componentId,
      fromVersionId: world.versionIds['1.0.0'],
      toVersionId: world.versionIds['1.0.1'],
      service: `p/${names.destination}`,
    },
  };
  // The orchestrator-style actions take no fields: `{}` is their valid body.
  if (route.group === 'registry' && route.id !== 'registryCreateUpgrade') return {};
  return bodies[route.id] ?? { comment: 'hostile' };
}

/** A valid query per route that requires one, sent wherever the hostile part is elsewhere. */
function baselineQuery(route: RouteDefinition): string {
  const queries: Record<string, string> = { registryRollbackUpgrade: 'reason=hostile' };
  return queries[route.id] ?? '';
}

function pathValues(): Record<string, string> {
  return {
    tenantId: tenant,
    componentId: world.componentId,
    projectName: names.project,
    serviceName: names.service,
    executionId: world.executionId,
    stepId: world.stepId,
    strategyName: world.strategyName,
    runId: world.runId,
    gateId: world.gateId,
    profileName: world.profileName,
  };
}

const fill = (route: RouteDefinition, values: Record<string, string>) =>
  route.path.replace(/\{(\w+)\}/g, (_m, name: string) => values[name] ?? 'x');
const paramNames = (route: RouteDefinition) => [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? '');

function fieldsOf(schema: z.ZodType | undefined): string[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown> };
  return Object.keys(json.properties ?? {});
}

// ---------------------------------------------------------------------------------
// Generators.

/** Text placed verbatim into the JSON a body serializes to (numbers JSON cannot say, deep nesting). */
class Raw {
  constructor(readonly text: string) {}
}

function serialize(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (item instanceof Raw) {
      raws.push(item.text);
      return `\u0000RAW${raws.length - 1}\u0000`;
    }
    return item;
  });
  return (text ?? 'null').replace(/"\\u0000RAW(\d+)\\u0000"/g, (_m, index: string) => raws[Number(index)] ?? 'null');
}

const deep = (depth: number, kind: 'array' | 'object') =>
  new Raw(kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);

const SEPARATOR_NAMES = [
  '../etc/passwd',
  '..',
  '.',
  'a/b',
  '%2F',
  '%2e%2e%2f',
  'a\\b',
  '..\\..\\windows',
  '/',
  'a#b',
  'TENANT#other',
  'x\u0000y',
  '\u202etxt.exe',
  'a%00b',
];
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', '__defineGetter__', 'hasOwnProperty', 'toString', 'valueOf'];
const NOT_SEMVER = [
  '1.0',
  'v1.0.0',
  '01.0.0',
  '1.0.0-',
  '1.0.0+',
  '1.0.0.0',
  '１.０.０',
  '1.0.0 ',
  ' 1.0.0',
  '9'.repeat(400),
  '1.0.0-../../x',
  '*',
  '>=1.0.0',
  'latest',
  '',
];
const INJECTIONS = [
  "' OR '1'='1",
  '${jndi:ldap://x/a}',
  '<script>alert(1)</script>',
  '{{7*7}}',
  '$where',
  'NaN',
  'Infinity',
  '-1',
  '1e309',
  'null',
  'true',
];
const RAW_NUMBERS = ['1e309', '-1e309', '1e-400', '123456789012345678901234567890', '-0', '9007199254740993', '2.5e-324'];

const hugeString = fc
  .constantFrom(4 * KIB, 64 * KIB, 200 * KIB, 255 * KIB, 257 * KIB, 300 * KIB)
  .chain((size) => fc.constantFrom('x', 'é', '\u{1F600}', '"').map((unit) => unit.repeat(Math.ceil(size / Buffer.byteLength(unit)))));
const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SEPARATOR_NAMES, ...PROTOTYPE_KEYS, ...NOT_SEMVER, ...INJECTIONS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: hugeString },
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 2 ** 53 + 1, -(2 ** 53) - 1, Number.MAX_VALUE, [], {}, [null], {
      '': '',
    }),
  },
  { weight: 2, arbitrary: fc.constantFrom(...RAW_NUMBERS).map((text) => new Raw(text)) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(100, 1_000, 10_000), fc.constantFrom('array' as const, 'object' as const))
      .map(([depth, kind]) => deep(depth, kind)),
  },
);
const hostileKey = fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS, ...SEPARATOR_NAMES), fc.string({ unit: 'binary', maxLength: 20 }));

const defineOwn = (target: Record<string, unknown>, key: string, value: unknown) =>
  // Assignment to `__proto__` would change the prototype instead of adding a key.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });

type Mutation = (body: Record<string, unknown>) => void;
function mutation(fields: readonly string[]): fc.Arbitrary<Mutation> {
  const field = fields.length > 0 ? fc.constantFrom(...fields) : hostileKey;
  return fc.oneof(
    fc.tuple(field, hostileValue).map(
      ([key, value]): Mutation =>
        (body) =>
          defineOwn(body, key, value),
    ),
    field.map(
      (key): Mutation =>
        (body) =>
          delete body[key],
    ),
    fc.tuple(hostileKey, hostileValue).map(
      ([key, value]): Mutation =>
        (body) =>
          defineOwn(body, key, value),
    ),
    fc.tuple(field, fc.constantFrom(...PROTOTYPE_KEYS), hostileValue).map(
      ([key, inner, value]): Mutation =>
        (body) => {
          const nested: Record<string, unknown> = {};
          defineOwn(nested, inner, value);
          defineOwn(body, key, nested);
        },
    ),
  );
}

interface HostileRequest {
  readonly kind: string;
  readonly path: string;
  readonly query: string;
  readonly body?: Buffer;
  readonly contentType?: string;
}

/** Raw body bytes: malformed JSON, invalid UTF-8, or a valid body under a wrong content type. */
function rawBodies(valid: string): fc.Arbitrary<{ kind: string; body: Buffer; contentType?: string }> {
  const malformed = fc.oneof(
    fc.nat({ max: Math.max(0, valid.length - 1) }).map((cut) => valid.slice(0, cut)),
    fc
      .tuple(fc.nat({ max: valid.length }), fc.constantFrom('{', '}', '"', ',', ':', '\\', '\u0001', 'NaN', "'"))
      .map(([at, junk]) => valid.slice(0, at) + junk + valid.slice(at)),
    fc.constantFrom(
      `${valid},`,
      `${valid}}`,
      `${valid}//x`,
      `\uFEFF${valid}`,
      valid.replaceAll('"', "'"),
      '{"a":1,}',
      '{a:1}',
      'NaN',
      'undefined',
      '{"a":01}',
      '[',
      '"',
      '{"a":"\u0001"}',
      'null',
      '[]',
      '0',
      '"x"',
    ),
  );
  const invalidUtf8 = fc.uint8Array({ minLength: 0, maxLength: 16 }).chain((noise) =>
    fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0xc0, 0xaf]).map((bad) => {
      const text = Buffer.from(valid);
      const at = Math.max(1, text.indexOf('"', 2) + 1);
      return Buffer.concat([text.subarray(0, at), Buffer.from(noise), Buffer.from(bad), text.subarray(at)]);
    }),
  );
  const wrongType = fc.constantFrom(
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'text/json',
    'application/jsonx',
    'application/octet-stream',
    'json',
    '*/*',
    'application/json-seq',
    undefined,
  );
  return fc.oneof(
    malformed.map((text) => ({ kind: 'malformed JSON', body: Buffer.from(text), contentType: 'application/json' })),
    invalidUtf8.map((body) => ({ kind: 'invalid UTF-8', body, contentType: 'application/json' })),
    wrongType.map((contentType) => ({
      kind: `content-type ${contentType ?? '(none)'}`,
      body: Buffer.from(valid),
      ...(contentType === undefined ? {} : { contentType }),
    })),
  );
}

const hostileQuery = fc
  .array(
    fc.tuple(
      fc.oneof(hostileKey, fc.constantFrom('limit', 'nextToken', 'status', 'x[]', '__proto__[polluted]')),
      fc.oneof(hostileString, fc.constantFrom('%FF', '%', '1e309', '-1')),
    ),
    { minLength: 1, maxLength: 4 },
  )
  // Keys and values travel percent-encoded, so every pair stays one parameter.
  // Each pair is capped so the request line stays under Node's 16 KiB header limit (a
  // longer one is refused with a bare 431 before any handler runs, as API Gateway would
  // refuse it with its own 414).
  .map((pairs) =>
    pairs.map(([key, value]) => `${encodeURIComponent(key).slice(0, 300)}=${encodeURIComponent(value).slice(0, 1500)}`).join('&'),
  )
  // BUG (local gateway, see the test below): a lone `__proto__` parameter is dropped.
  .filter((query) => !/^__proto__=[^&]*$/.test(query));

const hostileSegment = fc.oneof(
  fc.constantFrom(...SEPARATOR_NAMES, ...PROTOTYPE_KEYS, ...INJECTIONS).map((value) => ({ value, encoded: encodeURIComponent(value) })),
  fc
    .constantFrom('%2F', '%2f..%2f', '%5C', '%00', '%FF', '%E0%A4%A', '%', '..%2F..%2F', '%252F', '%C0%AF')
    .map((encoded) => ({ value: undefined as string | undefined, encoded })),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map((value) => ({ value, encoded: encodeURIComponent(value) })),
  fc.constantFrom(256, 2048, 4000).map((size) => ({ value: 'a'.repeat(size), encoded: 'a'.repeat(size) })),
);

function decodes(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

/** A request with one hostile part, the rest valid. */
function hostileRequests(route: RouteDefinition): fc.Arbitrary<HostileRequest | 'valid'> {
  const contract = contractOf(route);
  const path = fill(route, Object.fromEntries(Object.entries(pathValues()).map(([name, value]) => [name, encodeURIComponent(value)])));
  const base = baseline(route);
  const validText = serialize(base);
  const json = (body: Record<string, unknown> | string) => ({
    body: Buffer.from(typeof body === 'string' ? body : serialize(body)),
    contentType: 'application/json',
  });
  /** A body no schema accepts, for requests whose hostile part is elsewhere. */
  const brokenBody = contract.body ? json({ ...base, hostileExtraField: true }) : {};
  const validBody = contract.body ? json(base) : {};

  const bodyKinds: Array<fc.Arbitrary<HostileRequest | 'valid'>> = [];
  if (contract.body) {
    const schema = contract.body;
    bodyKinds.push(
      fc.array(mutation(fieldsOf(schema)), { minLength: 1, maxLength: 3 }).map((mutations) => {
        const body = structuredClone(base);
        for (const mutate of mutations) mutate(body);
        const text = serialize(body);
        if (Buffer.byteLength(text) <= 256 * KIB && isAccepted(schema, text)) return 'valid';
        return { kind: 'mutated body', path, query: '', ...json(text) };
      }),
      hostileValue.map((root) => {
        const text = serialize(root);
        if (isAccepted(schema, text)) return 'valid';
        return { kind: 'hostile root value', path, query: '', ...json(text) };
      }),
      // A junk character inside a string can leave JSON valid and accepted: not hostile.
      rawBodies(validText).map((raw) =>
        raw.contentType === 'application/json' && isAccepted(schema, raw.body.toString('utf8')) ? 'valid' : { ...raw, path, query: '' },
      ),
    );
  } else {
    // A route without a body must refuse any body that is not blank.
    bodyKinds.push(
      fc
        .oneof(
          hostileValue.map((value) => Buffer.from(serialize(value))),
          fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.concat([Buffer.from('x'), Buffer.from(bytes)])),
        )
        .filter((body) => body.toString('utf8').trim().length > 0)
        .map((body) => ({ kind: 'body on a body-less route', path, query: '', body, contentType: 'application/json' })),
    );
  }

  const queryKind = hostileQuery.map((query): HostileRequest => ({ kind: 'hostile query', path, query, ...validBody }));

  const params = paramNames(route);
  const pathKind = fc
    .tuple(fc.constantFrom(...(params.length > 0 ? params : ['none'])), hostileSegment)
    .map(([name, segment]): HostileRequest => {
      const values = Object.fromEntries(Object.entries(pathValues()).map(([key, value]) => [key, encodeURIComponent(value)]));
      values[name] = segment.encoded;
      const hostilePath = fill(route, values);
      // The valid body goes along only where the route surely still matches and the
      // parameter is surely invalid, so the answer is about the parameter alone.
      const decoded = decodes(segment.encoded);
      const sameRoute = !/^\.{1,2}$/.test(segment.encoded) && !/[/?#\\]/.test(segment.encoded);
      const own = Object.fromEntries(params.map((param) => [param, pathValues()[param]]));
      const paramsValid = decoded !== undefined && contract.params?.safeParse({ ...own, [name]: decoded }).success === true;
      return {
        kind: `hostile path parameter ${name}`,
        path: hostilePath,
        query: '',
        ...(sameRoute && !paramsValid ? validBody : brokenBody),
      };
    });

  return fc.oneof(
    { weight: 3, arbitrary: fc.oneof(...bodyKinds) },
    { weight: 1, arbitrary: queryKind },
    ...(params.length > 0 ? [{ weight: 1, arbitrary: pathKind }] : []),
  );
}

function isAccepted(schema: z.ZodType, text: string): boolean {
  let value: unknown;
  try {
    // The handler's UTF-8 decoder drops a leading byte order mark, as RFC 8259 allows.
    // An empty body stands for `{}` on routes whose body is all optional.
    value = text.length === 0 ? {} : JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return false;
  }
  return schema.safeParse(value).success;
}

/** Cases that must always run, not only when the dice say so. */
function fixedCases(route: RouteDefinition): HostileRequest[] {
  const path = fill(route, Object.fromEntries(Object.entries(pathValues()).map(([name, value]) => [name, encodeURIComponent(value)])));
  const contentType = 'application/json';
  const base = baseline(route);
  const cases: HostileRequest[] = [
    { kind: '10,000 nested arrays', path, query: '', body: Buffer.from(deep(10_000, 'array').text), contentType },
    { kind: '100,000 nested arrays', path, query: '', body: Buffer.from(deep(100_000, 'array').text), contentType },
    {
      kind: '10,000 nested objects in a field',
      path,
      query: '',
      body: Buffer.from(serialize({ ...base, [Object.keys(base)[0] ?? 'a']: deep(10_000, 'object') })),
      contentType,
    },
    {
      kind: '300 KiB string',
      path,
      query: '',
      body: Buffer.from(serialize({ ...base, [Object.keys(base)[0] ?? 'a']: 'x'.repeat(300 * KIB) })),
      contentType,
    },
    {
      kind: 'invalid UTF-8',
      path,
      query: '',
      body: Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')]),
      contentType,
    },
    {
      kind: '1e309',
      path,
      query: '',
      body: Buffer.from(serialize({ ...base, [Object.keys(base)[0] ?? 'a']: new Raw('1e309') })),
      contentType,
    },
    {
      kind: '__proto__ key',
      path,
      query: '',
      body: Buffer.from(`{"__proto__":{"polluted":"yes"},${serialize(base).slice(1)}`),
      contentType,
    },
    {
      kind: 'constructor.prototype key',
      path,
      query: '',
      body: Buffer.from(`{"constructor":{"prototype":{"polluted":"yes"}},${serialize(base).slice(1)}`),
      contentType,
    },
    { kind: 'malformed JSON', path, query: '', body: Buffer.from('{"a":'), contentType },
    { kind: 'text/plain', path, query: '', body: Buffer.from(serialize(base)), contentType: 'text/plain' },
    {
      kind: '?constructor=x',
      path,
      query: 'constructor=x',
      ...(contractOf(route).body ? { body: Buffer.from(serialize(base)), contentType } : {}),
    },
  ];
  if (!contractOf(route).body) return cases.filter((request) => request.kind !== 'text/plain');
  return cases;
}

// ---------------------------------------------------------------------------------
// Sending and judging.

const tokenFor = (route: RouteDefinition) => tokens.get((route.access as readonly Role[]).find((role) => tokens.has(role)) ?? '') ?? '';

async function send(
  route: RouteDefinition,
  request: HostileRequest,
): Promise<{ status: number; contentType: string | null; text: string }> {
  counts.sent += 1;
  const headers: Record<string, string> = { authorization: `Bearer ${tokenFor(route)}` };
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  const query = request.query || baselineQuery(route);
  const response = await fetch(`${api.url}${request.path}${query ? `?${query}` : ''}`, {
    method: route.method,
    headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

async function judge(route: RouteDefinition, request: HostileRequest): Promise<void> {
  const response = await send(route, request);
  const label = `${route.id} ${request.kind} ${request.path.slice(0, 120)}?${request.query.slice(0, 120)} body ${request.body?.subarray(0, 120).toString('utf8') ?? '-'}: ${response.status} ${response.text.slice(0, 300)}`;
  expect(response.status, label).toBeGreaterThanOrEqual(400);
  expect(response.status, label).toBeLessThan(500);
  expect(response.contentType, label).toBe('application/problem+json');
  const problem = JSON.parse(response.text) as { status?: number; title?: string };
  expect(problem.status, label).toBe(response.status);
  expect(response.text, label).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  if (request.body && request.body.length > 256 * KIB && contractOf(route).body) expect(response.status, label).toBe(413);
}

describe('hostile input on every mutating route answers 4xx problem+json and changes nothing', () => {
  it.for(mutating.map((route) => [route.id, route] as const))('%s', async ([id, route], context) => {
    // A seed per route from the run's seed; fast-check's failure report shows it too.
    const seed = await useSeed(context, id);
    const before = await snapshot();
    for (const request of fixedCases(route)) await judge(route, request);
    await fc.assert(
      fc.asyncProperty(hostileRequests(route), async (request) => {
        if (request === 'valid') {
          counts.skippedAsValid += 1;
          return;
        }
        await judge(route, request);
      }),
      { numRuns: RUNS_PER_ROUTE, endOnFailure: true, seed },
    );
    expect(await snapshot()).toEqual(before);
  });

  // Inputs the generators above skip as schema-valid before these rules existed: a map
  // key the DynamoDB marshaller trips on (it reads `.constructor` of every map), and
  // numbers outside DynamoDB's range (it stores 0 or 1e-130 to 9.99e125 in magnitude).
  // Each used to be a 500; each must be 422 naming the field, with nothing written.
  it.for([
    ['createUpgrade', 'installedComponents', { service: 'free', installedComponents: { constructor: '2.0.0' } }],
    ['createUpgrade', 'installedComponents', { service: 'free', installedComponents: { prototype: '2.0.0' } }],
    ['registryCreateUpgrade', 'installedComponents', { service: 'free', installedComponents: { constructor: '2.0.0' } }],
    ['publishVersion', 'requires', { requires: { constructor: '>=1.0.0' } }],
    ['createService', 'target', { target: { type: 'simulated', upgradeSeconds: new Raw('1e-200') } }],
    ['createService', 'target', { target: { type: 'simulated', upgradeSeconds: new Raw('5e-324') } }],
    ['updateService', 'target', { target: { type: 'simulated', upgradeSeconds: new Raw('1e-131') } }],
  ] as const)('answers 422 to %s with a schema-valid-looking %s DynamoDB cannot store', async ([id, field, extra]) => {
    const route = mutating.find((candidate) => candidate.id === id);
    if (!route) throw new Error(`no route ${id}`);
    const path = fill(route, Object.fromEntries(Object.entries(pathValues()).map(([name, value]) => [name, encodeURIComponent(value)])));
    const before = await snapshot();
    const fields: Record<string, unknown> = { ...extra };
    if (fields.service === 'free') fields.service = route.id === 'registryCreateUpgrade' ? `p/${names.free}` : names.free;
    const body = Buffer.from(serialize({ ...baseline(route), ...fields }));
    const request: HostileRequest = { kind: `unstorable ${field}`, path, query: '', body, contentType: 'application/json' };
    const response = await send(route, request);
    expect(response.status, response.text).toBe(422);
    expect(response.contentType).toBe('application/problem+json');
    expect(response.text).toContain(`body.${field}`);
    expect(await snapshot()).toEqual(before);
  });

  // The local gateway once built the query map by assignment, so `?__proto__=x` vanished
  // and the mutation succeeded locally where AWS would pass the key and answer 400.
  it('answers 400 to a mutation whose only query parameter is __proto__', async () => {
    const operator = tokens.get('operator') ?? '';
    const throwaway = unique('proto');
    const created = await api.request('POST', `/v1/tenants/${tenant}/projects/q/services`, {
      token: operator,
      body: { name: throwaway, componentId: world.componentId, version: '1.0.0' },
    });
    expect(created.status).toBe(201);
    const response = await api.request('PATCH', `/v1/tenants/${tenant}/projects/q/services/${throwaway}?__proto__=x`, {
      token: operator,
      body: { powered: false },
    });
    expect(response.status).toBe(400);
  });

  it('left Object.prototype untouched, and reports the figures', () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeysBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    console.info(
      `hostile input: ${counts.sent} requests over ${mutating.length} mutating routes (${counts.skippedAsValid} generated inputs skipped as valid)`,
    );
  });
});
