import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi, unique } from '../support/api.js';
import { seedComponent } from '../support/fixtures.js';

// As the stack sets it on the services function (context sluice:lambdaTargetPattern).
const PATTERN = 'arn:aws:lambda:us-east-1:123456789012:function:sluice-target-*';
let api: TestApi;
let operator = '';
let componentId = '';
const tenant = unique('lambda-pattern');

beforeAll(async () => {
  process.env.SLUICE_LAMBDA_TARGET_PATTERN = PATTERN;
  api = await startTestApi();
  ({ componentId } = await seedComponent(api, ['1.0.0']));
  operator = await api.token({ tenant, roles: ['operator'] });
});

afterAll(async () => {
  delete process.env.SLUICE_LAMBDA_TARGET_PATTERN;
  await api?.stop();
});

const services = `/v1/tenants/${tenant}/projects/p/services`;
const target = (name: string) => ({ type: 'lambda', functionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}` });

it('refuses a lambda target outside the pattern on create and update (422 naming body.target.functionArn), writes nothing', async () => {
  const refused = await api.request('POST', services, {
    token: operator,
    body: { name: 'a', componentId, version: '1.0.0', target: target('other') },
  });
  expect(refused.status, refused.text).toBe(422);
  expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'body.target.functionArn' })]);
  expect((await api.request('GET', `${services}/a`, { token: operator })).status).toBe(404);

  const created = await api.request('POST', services, {
    token: operator,
    body: { name: 'b', componentId, version: '1.0.0', target: target('sluice-target-db') },
  });
  expect(created.status, created.text).toBe(201);
  const patched = await api.request('PATCH', `${services}/b`, { token: operator, body: { target: target('other') } });
  expect(patched.status, patched.text).toBe(422);
  expect(patched.body.errors).toEqual([expect.objectContaining({ field: 'body.target.functionArn' })]);
  expect((await api.request('GET', `${services}/b`, { token: operator })).body.target).toEqual(target('sluice-target-db'));
});
