import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONSOLE_CONTENT_SECURITY_POLICY, createConsoleSite, LOCAL_CONSOLE_CONFIG } from '../../local/console.js';

const body = (result: { body?: string; isBase64Encoded?: boolean }) =>
  result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64').toString('utf8') : (result.body ?? '');

function builtSite() {
  const dist = mkdtempSync(join(tmpdir(), 'sluice-console-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(dist, '..', 'outside.txt'), 'secret');
  return createConsoleSite(dist);
}

describe('the local console site', () => {
  it('serves the page at /console/ with a policy of its own origin only, and sends /console there', async () => {
    const site = builtSite();
    const page = await site('/console/');
    expect(page.statusCode).toBe(200);
    expect(body(page)).toContain('<div id="app"></div>');
    expect(page.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CONSOLE_CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    expect(CONSOLE_CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONSOLE_CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONSOLE_CONTENT_SECURITY_POLICY).not.toContain('unsafe');
    expect(await site('/console')).toMatchObject({ statusCode: 308, headers: { location: '/console/' } });
  });

  it('serves the build’s assets as immutable, and the local config naming sign-in by token', async () => {
    const site = builtSite();
    const script = await site('/console/assets/index-abc.js');
    expect(script).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/javascript; charset=utf-8' } });
    expect(script.headers?.['cache-control']).toContain('immutable');
    expect(body(script)).toBe('console.log(1)');
    const config = await site('/console/config.json');
    expect(JSON.parse(body(config))).toEqual(LOCAL_CONSOLE_CONFIG);
    expect(LOCAL_CONSOLE_CONFIG).not.toHaveProperty('apiUrl');
  });

  it('answers 404 for a file it does not have and for any path outside the build', async () => {
    const site = builtSite();
    expect((await site('/console/assets/missing.js')).statusCode).toBe(404);
    expect((await site('/console/../outside.txt')).statusCode).toBe(404);
    expect((await site('/console/..%2foutside.txt')).statusCode).toBe(404);
    expect((await site('/console/assets/../../outside.txt')).statusCode).toBe(404);
  });

  it('says how to build it when the build is missing', async () => {
    const site = createConsoleSite(join(tmpdir(), 'sluice-console-never-built'));
    const page = await site('/console/');
    expect(page.statusCode).toBe(503);
    expect(body(page)).toContain('npm run build:console');
  });
});
