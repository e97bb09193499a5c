import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, unique } from '../support/api.js';
import { launchBrowser } from '../support/browser.js';

/**
 * The console's OIDC sign-in (authorization code with PKCE, as the stack configures it)
 * in chromium, against a small issuer of the test's own on this machine: discovery, the
 * authorization redirect with an S256 challenge, and the token request whose verifier the
 * issuer checks. It answers a dev token the local runtime accepts, so the page then calls
 * the API with it.
 */
let api: TestApi;
let browser: Browser;
let issuer: Server;
let issuerUrl: string;
const tenant = unique('oidc');
let accessToken: string;
/** What the issuer was asked, in order. */
const asked: { path: string; params: Record<string, string> }[] = [];
const codes = new Map<string, { challenge: string; redirectUri: string; clientId: string }>();

beforeAll(async () => {
  issuer = createServer((request, response) => {
    const url = new URL(request.url ?? '/', issuerUrl);
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const params = Object.fromEntries(request.method === 'POST' ? new URLSearchParams(body) : url.searchParams);
      asked.push({ path: url.pathname, params });
      // The page calls discovery and the token endpoint from its own origin.
      const cors = { 'access-control-allow-origin': api.url, 'access-control-allow-headers': 'content-type' };
      if (request.method === 'OPTIONS') return response.writeHead(204, cors).end();
      if (url.pathname === '/.well-known/openid-configuration') {
        return response.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(
          JSON.stringify({
            issuer: issuerUrl,
            authorization_endpoint: `${issuerUrl}/authorize`,
            token_endpoint: `${issuerUrl}/token`,
            response_types_supported: ['code'],
            code_challenge_methods_supported: ['S256'],
          }),
        );
      }
      if (url.pathname === '/authorize') {
        const code = randomUUID();
        codes.set(code, {
          challenge: params.code_challenge ?? '',
          redirectUri: params.redirect_uri ?? '',
          clientId: params.client_id ?? '',
        });
        const back = new URL(params.redirect_uri ?? '');
        back.searchParams.set('code', code);
        back.searchParams.set('state', params.state ?? '');
        return response.writeHead(302, { location: back.href }).end();
      }
      if (url.pathname === '/token') {
        const grant = codes.get(params.code ?? '');
        codes.delete(params.code ?? '');
        const verified =
          grant !== undefined &&
          createHash('sha256')
            .update(params.code_verifier ?? '')
            .digest('base64url') === grant.challenge &&
          params.redirect_uri === grant.redirectUri &&
          params.client_id === grant.clientId;
        if (!verified) return response.writeHead(400, { ...cors, 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
        return response
          .writeHead(200, { ...cors, 'content-type': 'application/json', 'cache-control': 'no-store' })
          .end(JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: 3600 }));
      }
      response.writeHead(404).end();
    });
  });
  await new Promise<void>((listening) => issuer.listen(0, '127.0.0.1', listening));
  issuerUrl = `http://127.0.0.1:${(issuer.address() as AddressInfo).port}`;
  api = await startTestApi({ consoleOidc: { issuer: issuerUrl, clientId: 'console-test', scopes: 'sluice' } });
  accessToken = await api.token({ tenant, roles: ['viewer'], user: 'oidc-user' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await api?.stop();
  await new Promise((closed) => issuer?.close(closed));
});

describe('the console signing in by OIDC', { timeout: 60_000 }, () => {
  it('runs the authorization code flow with PKCE, then calls the API with the access token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    const answer = await page.goto(`${api.url}/console/#/upgrades`);
    // The page may call the issuer, and no other origin but its own.
    expect(answer?.headers()['content-security-policy']).toContain(`connect-src 'self' ${issuerUrl};`);
    await page.getByRole('button', { name: 'Sign in with 127.0.0.1' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await expect(page.locator('.who').textContent()).resolves.toContain(`oidc-user · ${tenant} · viewer`);
    await page.getByText('No upgrade matches.').waitFor();
    // Back on the view it started from, without the code and state in the address.
    expect(new URL(page.url()).search).toBe('');
    expect(new URL(page.url()).hash).toBe('#/upgrades');

    const authorize = asked.find((request) => request.path === '/authorize')!;
    expect(authorize.params).toMatchObject({
      client_id: 'console-test',
      response_type: 'code',
      scope: 'sluice',
      code_challenge_method: 'S256',
      redirect_uri: `${api.url}/console/`,
    });
    expect(authorize.params.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.params.state?.length).toBeGreaterThan(20);
    const token = asked.find((request) => request.path === '/token')!;
    expect(token.params).toMatchObject({ grant_type: 'authorization_code', client_id: 'console-test' });
    expect(token.params.code_verifier?.length).toBeGreaterThanOrEqual(43);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('refuses a return whose state it did not send', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${api.url}/console/?code=forged&state=forged`);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not started from this tab');
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(new URL(page.url()).search).toBe('');
    await context.close();
  });
});
