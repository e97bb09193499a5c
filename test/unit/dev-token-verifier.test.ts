import { describe, expect, it } from 'vitest';
import { createDevTokenVerifier, generateDevKey, signDevToken } from '../../local/dev-auth.js';

describe('the local runtime’s remembering token verifier', () => {
  it('answers a remembered token’s claims without checking its signature again, until it expires', async () => {
    const key = await generateDevKey();
    const token = await signDevToken(key, { tenant: 'acme', roles: ['viewer'], user: 'vic', ttlSeconds: 60 });
    let clock = Date.now();
    const verify = createDevTokenVerifier(key, { now: () => clock });
    const first = await verify(`Bearer ${token}`);
    expect(first).toMatchObject({ tenant: 'acme', sub: 'vic' });
    // A caller changing its answer does not change what the next caller gets.
    (first as Record<string, string>).tenant = 'mallory';
    expect(await verify(`Bearer ${token}`)).toMatchObject({ tenant: 'acme' });
    clock += 61_000;
    expect(await verify(`Bearer ${token}`)).toBeUndefined();
  });

  it('remembers no refusal: a token signed with another key, or tampered with, is refused every time', async () => {
    const key = await generateDevKey();
    const verify = createDevTokenVerifier(key);
    const foreign = await signDevToken(await generateDevKey(), { tenant: 'acme', roles: ['viewer'], user: 'vic' });
    expect(await verify(`Bearer ${foreign}`)).toBeUndefined();
    expect(await verify(`Bearer ${foreign}`)).toBeUndefined();
    const good = await signDevToken(key, { tenant: 'acme', roles: ['viewer'], user: 'vic' });
    await verify(`Bearer ${good}`);
    const [header, , signature] = good.split('.');
    const payload = Buffer.from(JSON.stringify({ tenant: 'other', roles: 'platform-admin', sub: 'x', exp: 9e9 })).toString('base64url');
    expect(await verify(`Bearer ${header}.${payload}.${signature}`)).toBeUndefined();
    expect(await verify(undefined)).toBeUndefined();
  });

  it('keeps at most `size` tokens, dropping the oldest', async () => {
    const key = await generateDevKey();
    const verify = createDevTokenVerifier(key, { size: 2 });
    const tokens = await Promise.all(['a', 'b', 'c'].map((user) => signDevToken(key, { tenant: 't', roles: ['viewer'], user })));
    for (const token of tokens) expect(await verify(`Bearer ${token}`)).toMatchObject({ tenant: 't' });
    // Still valid after eviction: the dropped one is verified again, not refused.
    expect(await verify(`Bearer ${tokens[0]}`)).toMatchObject({ sub: 'a' });
  });
});
