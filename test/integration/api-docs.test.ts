/**
 * `GET /docs` on the local runtime: the document `GET /openapi.json` serves, rendered for
 * people by Redoc (`redocly build-docs --inlineBundle`, local/api-docs.ts). Public,
 * self-contained (nothing from another origin), locked by its Content-Security-Policy, and
 * rendered once: later GETs are served from memory.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_EVENT_DOCS, UPGRADE_EVENT_DOCS } from '../../functions/api/event-type-docs.js';
import { EVENT_TYPES } from '../../functions/domain/event-types.js';
import { ROUTE_GROUPS, ROUTES } from '../../functions/domain/routes.js';
import { startTestApi, type TestApi } from '../support/api.js';

let api: TestApi;
let page: { status: number; headers: Headers; html: string };
/** The served OpenAPI document. */
let served: any;

beforeAll(async () => {
  api = await startTestApi();
  // Two first GETs at once, without a token: they share one render.
  const [first, second] = await Promise.all([fetch(`${api.url}/docs`), fetch(`${api.url}/docs`)]);
  page = { status: first.status, headers: first.headers, html: await first.text() };
  expect(await second.text()).toBe(page.html);
  served = (await api.request('GET', '/openapi.json')).body;
});
afterAll(async () => {
  await api?.stop();
});

/** The page without its scripts' text (Redoc's code names URLs that are not the page's), and that text. */
function split(html: string): { markup: string; scripts: string[] } {
  const scripts: string[] = [];
  const markup = html.replace(/(<script\b[^>]*>)([\s\S]*?)(<\/script>)/gi, (_all, open: string, text: string, close: string) => {
    scripts.push(text);
    return `${open}${close}`;
  });
  return { markup, scripts };
}

/** `default-src 'self'; script-src …` → { 'default-src': ["'self'"], … } */
function directives(policy: string): Record<string, string[]> {
  return Object.fromEntries(
    policy
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...sources]) => [name, sources]),
  );
}

describe('GET /docs', () => {
  it('answers 200 text/html without a token, with a Content-Security-Policy, nosniff and no referrer', () => {
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBeTruthy();
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.html.startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it('allows only its own origin: inline scripts by hash, inline styles, data: images and fonts', () => {
    const policy = directives(page.headers.get('content-security-policy') ?? '');
    expect(policy['default-src']).toEqual(["'self'"]);
    expect(policy['frame-ancestors']).toEqual(["'none'"]);
    for (const [name, sources] of Object.entries(policy)) {
      for (const source of sources) {
        // No host, no scheme but data:, no wildcard; 'unsafe-inline' only for styles.
        expect(source, `${name} ${source}`).toMatch(/^('self'|'none'|'sha256-[A-Za-z0-9+/]+=*'|data:|'unsafe-inline')$/);
        if (source === "'unsafe-inline'") expect(name).toBe('style-src');
        if (source === 'data:') expect(['img-src', 'font-src']).toContain(name);
      }
    }
    // Each of the page's scripts is allowed by its hash, and nothing else inline would run.
    const { scripts } = split(page.html);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      expect(policy['script-src']).toContain(`'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`);
    }
    expect(policy['script-src']).not.toContain("'unsafe-eval'");
  });

  it('loads nothing from another origin: every src= and href= is this origin or inline', () => {
    const { markup } = split(page.html);
    const origin = new URL(api.url).origin;
    const references = [...markup.matchAll(/<(\w+)\b[^>]*?\s(src|href)\s*=\s*"([^"]*)"/gi)].map(([, element, attribute, value]) => ({
      element: element?.toLowerCase(),
      attribute,
      url: new URL(value ?? '', `${origin}/docs`),
    }));
    expect(references.length).toBeGreaterThan(0);
    const elsewhere = references.filter(({ url }) => url.origin !== origin && url.protocol !== 'data:');
    // Links out are not loads: the document's own contact URL, and Redoc's attribution in its footer.
    expect(elsewhere.every(({ element, attribute }) => element === 'a' && attribute === 'href')).toBe(true);
    expect(new Set(elsewhere.map(({ url }) => url.href))).toEqual(
      new Set([new URL(served.info.contact.url).href, 'https://redocly.com/redoc/']),
    );
    // Scripts and styles are inline: none has a src, no stylesheet is linked, and CSS fetches only data: URLs.
    expect(markup).not.toMatch(/<script\b[^>]*\ssrc\s*=/i);
    expect(markup).not.toMatch(/<link\b[^>]*\brel\s*=\s*"?(stylesheet|modulepreload|preload)/i);
    const styles = [...markup.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)].map((match) => match[1] ?? '');
    expect(styles.length).toBeGreaterThan(0);
    for (const style of styles) {
      expect(style).not.toMatch(/@import/i);
      for (const [, target] of style.matchAll(/url\(\s*["']?([^"')\s]*)/g)) expect(target).toMatch(/^data:/);
    }
    // Not the CDN build: that page imports Redoc from Redocly's CDN.
    expect(page.html).not.toContain('cdn.redocly.com/redoc/');
  });

  it('renders this very document: the one /openapi.json serves, its tags, operations and event types', () => {
    const definition = /const __redoc_definition = (.*);\n/.exec(page.html)?.[1];
    expect(JSON.parse(definition ?? 'null')).toEqual(served);
    const options = JSON.parse(/const __redoc_options = (.*);\n/.exec(page.html)?.[1] ?? 'null');
    expect(options).toMatchObject({ disableTelemetry: true });

    // Prerendered for people before any script runs: the description and one menu entry per tag.
    const { markup } = split(page.html);
    expect(markup).toContain('Sluice, a serverless upgrade control plane');
    for (const group of ROUTE_GROUPS) expect(markup).toContain(`>${group}</span>`);

    for (const id of ['getHealth', 'createComponent', 'createUpgrade', 'approveGate', 'createUpdateRun', 'listTenantEvents']) {
      const route = ROUTES.find((candidate) => candidate.id === id);
      expect(route, id).toBeDefined();
      expect(page.html).toContain(`"operationId":"${id}"`);
      expect(page.html).toContain(`"summary":${JSON.stringify(route?.summary)}`);
    }
    for (const type of EVENT_TYPES) expect(page.html).toContain(`"${type}"`);
    const eventType = served.components.schemas.EventType;
    expect(eventType.enum).toEqual(EVENT_TYPES);
    for (const [type, description] of Object.entries({ ...UPGRADE_EVENT_DOCS, ...RUN_EVENT_DOCS })) {
      expect(eventType.description).toContain(`\`${type}\`: ${description}`);
    }
  });

  it('is rendered once: a later GET is served from memory', async () => {
    expect(api.runtime.docs.renders).toBe(1);
    const again = await fetch(`${api.url}/docs`);
    expect(again.status).toBe(200);
    expect(await again.text()).toBe(page.html);
    expect(api.runtime.docs.renders).toBe(1);
  });

  it('answers GET only, at /docs only', async () => {
    expect((await api.request('POST', '/docs')).status).toBe(404);
    expect((await api.request('GET', '/docs/')).status).toBe(404);
    expect(api.runtime.docs.renders).toBe(1);
  });
});
