import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { deferred } from '../../functions/domain/deferred.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('deferred', () => {
  it('builds its schema on the first parse, once, however often it is read after', () => {
    let built = 0;
    const Body = deferred(() => {
      built += 1;
      return z.strictObject({ name: z.string().min(1) }).meta({ id: 'DeferredProbe' });
    });
    expect(built).toBe(0);
    expect(Body.safeParse({ name: 'a' }).success).toBe(true);
    expect(Body.safeParse({ name: '' }).success).toBe(false);
    expect(z.toJSONSchema(z.object({ a: Body, b: Body.optional() }))).toBeTruthy();
    expect(Body.unwrap()).toBe(Body.unwrap());
    expect(built).toBe(1);
  });

  it('refuses what the schema it wraps refuses, with the same issues', () => {
    const make = () => z.strictObject({ name: z.string().min(1), count: z.number().int().max(3).optional() });
    const input = { name: '', count: 4.5, extra: true };
    expect(deferred(make).safeParse(input).error?.issues).toEqual(make().safeParse(input).error?.issues);
  });
});

describe('what a cold start builds', () => {
  const probe = JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test/support/schema-build-probe.ts')], { cwd: ROOT }).toString(),
  ) as { afterImport: string[]; afterOneParse: string[]; afterDocument: string[]; responseIds: string[] };

  it('builds no answer schema when the contracts are imported: only the OpenAPI document reads them', () => {
    expect(probe.responseIds.length).toBeGreaterThan(20);
    expect(probe.afterImport.filter((id) => probe.responseIds.includes(id))).toEqual([]);
    expect(probe.afterDocument).toEqual(expect.arrayContaining(probe.responseIds));
  });

  it('builds the schemas of the body it parses, and not the other routes’', () => {
    const builtByParse = probe.afterOneParse.filter((id) => !probe.afterImport.includes(id));
    expect(builtByParse).toEqual(expect.arrayContaining(['CreateUpdateRunRequest', 'RunUpgrade', 'StageSpec', 'GroupSpec']));
    expect(builtByParse).not.toContain('CreateUpgradeRequest');
    expect(builtByParse).not.toContain('CreateServiceRequest');
    expect(probe.afterOneParse.filter((id) => probe.responseIds.includes(id))).toEqual([]);
  });
});
