import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRoles, principalFromEvent } from '../../functions/common/http/principal.js';
import { loadOrCreateDevKey, signDevToken, verifyDevToken } from '../../local/dev-auth.js';

const NAMES = { tenant: 'tenant', roles: 'roles' };
const eventOf = (claims: Record<string, string>, authorization?: string) =>
  ({
    headers: authorization === undefined ? {} : { authorization },
    requestContext: { authorizer: { jwt: { claims } } },
  }) as unknown as APIGatewayProxyEventV2;

describe('parseRoles: one rule for an array claim and a string claim', () => {
  it.each([
    [
      ['viewer', 'operator'],
      ['viewer', 'operator'],
    ],
    [['readonly,operator'], []],
    [['viewer operator'], []],
    [[' operator', 'Operator', '[operator]'], []],
    ['viewer operator', ['viewer', 'operator']],
    ['viewer\toperator', ['viewer', 'operator']],
    ['readonly,operator', []],
    ['viewer,operator', []],
    [42, []],
  ])('%j → %j', (claim, roles) => {
    expect([...parseRoles(claim)].sort()).toEqual([...roles].sort());
  });
});

describe('principalFromEvent with the claims as API Gateway flattens them', () => {
  const keyDir = mkdtempSync(join(tmpdir(), 'sluice-principal-'));
  afterAll(() => rmSync(keyDir, { recursive: true, force: true }));
  const key = loadOrCreateDevKey(join(keyDir, 'key.json'));
  const principalOf = async (roles: string[], tenant?: string) => {
    const token = await signDevToken(await key, { ...(tenant === undefined ? {} : { tenant }), roles, user: 'alice' });
    const authorization = `Bearer ${token}`;
    const claims = await verifyDevToken(await key, authorization);
    expect(claims).toBeDefined();
    return {
      claims: claims as Record<string, string>,
      authorization,
      principal: principalFromEvent(eventOf(claims ?? {}, authorization), NAMES),
    };
  };

  it('reads the array elements of the verified token, which the flattened "[a b]" cannot tell apart', async () => {
    const two = await principalOf(['viewer', 'operator'], 't1');
    const one = await principalOf(['viewer operator'], 't1');
    const comma = await principalOf(['readonly,operator'], 't1');
    expect(two.claims.roles).toBe('[viewer operator]');
    expect(one.claims.roles).toBe('[viewer operator]');
    expect([...(two.principal?.roles ?? [])].sort()).toEqual(['operator', 'viewer']);
    expect([...(one.principal?.roles ?? [])]).toEqual([]);
    expect([...(comma.principal?.roles ?? [])]).toEqual([]);
  });

  it('grants no role from a flattened array claim that no matching token backs (fail closed)', async () => {
    const { claims, authorization } = await principalOf(['viewer', 'operator'], 't1');
    expect([...(principalFromEvent(eventOf(claims), NAMES)?.roles ?? [])]).toEqual([]);
    const other = await principalOf(['viewer', 'operator'], 't2');
    expect([...(principalFromEvent(eventOf(claims, other.authorization), NAMES)?.roles ?? [])]).toEqual([]);
    expect(principalFromEvent(eventOf(claims, authorization), NAMES)?.roles.has('operator')).toBe(true);
  });

  it('takes a plain string roles claim as space-separated', () => {
    const principal = principalFromEvent(eventOf({ sub: 'olivia', tenant: 't1', roles: 'operator viewer' }), NAMES);
    expect([...(principal?.roles ?? [])].sort()).toEqual(['operator', 'viewer']);
  });

  it('honours platform-admin only on a token without a tenant', async () => {
    expect((await principalOf(['platform-admin'])).principal?.roles.has('platform-admin')).toBe(true);
    const tenantAdmin = (await principalOf(['platform-admin', 'viewer'], 't1')).principal;
    expect([...(tenantAdmin?.roles ?? [])]).toEqual(['viewer']);
  });
});

describe('the dev key file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-devkey-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces an old ES256 key file with an RS256 one instead of failing, keeping the old one aside', async () => {
    const file = join(dir, 'old.json');
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const old = JSON.stringify({ privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) });
    writeFileSync(file, old);
    const key = await loadOrCreateDevKey(file);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    expect(stored).toMatchObject({ alg: 'RS256', kid: key.kid, publicJwk: { kty: 'RSA' } });
    expect(readFileSync(`${file}.old`, 'utf8')).toBe(old);
    const token = await signDevToken(key, { roles: ['platform-admin'], user: 'root' });
    expect(JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT', kid: key.kid });
    expect((await loadOrCreateDevKey(file)).kid).toBe(key.kid);
  });

  it('agrees on one key when several first uses race', async () => {
    const file = join(dir, 'race.json');
    const keys = await Promise.all(Array.from({ length: 5 }, () => loadOrCreateDevKey(file)));
    expect(new Set(keys.map((key) => key.kid)).size).toBe(1);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
