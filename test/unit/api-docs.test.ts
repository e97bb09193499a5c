/**
 * The API reference page of the local runtime (local/api-docs.ts), without the CLI: a page
 * that would load Redoc from a CDN is refused, the policy names the page's own scripts by
 * hash, and the page is rendered once however many GETs ask, unless a render fails.
 * test/integration/api-docs.test.ts serves the real render.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/common/logger.js';
import { createApiDocs, splitScripts, toDocsPage } from '../../local/api-docs.js';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const inlinePage = (module = 'const{hydrate}=(()=>({hydrate(){}}))();hydrate({}, {}, document.getElementById("redoc"));') =>
  `<!DOCTYPE html><html><head><style>body{margin:0}</style></head><body><div id="redoc"><div hidden=""><script>try{}catch(e){}</script></div><a href="https://sluice.dev">Overview</a></div><script type="module">${module}</script></body></html>`;

describe('toDocsPage', () => {
  it('allows exactly the inline scripts of the page, by their sha256', () => {
    const { contentSecurityPolicy } = toDocsPage(inlinePage());
    const scriptSrc = /script-src ([^;]*)/.exec(contentSecurityPolicy)?.[1]?.split(' ');
    expect(scriptSrc).toEqual(["'self'", sha256('try{}catch(e){}'), sha256(splitScripts(inlinePage()).scripts[1] ?? '')]);
    expect(contentSecurityPolicy).not.toContain('unsafe-eval');
    expect(/style-src ([^;]*)/.exec(contentSecurityPolicy)?.[1]).toBe("'self' 'unsafe-inline'");
  });

  it('refuses the page build-docs writes without --inlineBundle, which fetches Redoc from its CDN', () => {
    const cdn = 'https://cdn.redocly.com/redoc/v3.0.1/bundles/redoc.standalone.js';
    const preloaded = inlinePage().replace('</head>', `<link rel="modulepreload" href="${cdn}" crossorigin="anonymous" /></head>`);
    expect(() => toDocsPage(preloaded)).toThrow(/loads from another origin: <link rel="modulepreload" href="https:\/\/cdn\.redocly\.com/);
    expect(() => toDocsPage(inlinePage(`import { hydrate } from "${cdn}";\nhydrate({});`))).toThrow(
      /another origin: import \{ hydrate \} from "https:/,
    );
    expect(() => toDocsPage(inlinePage('import("//cdn.example/redoc.js")'))).toThrow(/another origin/);
    expect(() => toDocsPage(inlinePage().replace('<body>', '<body><img src="//cdn.example/logo.svg">'))).toThrow(/another origin/);
  });

  it('takes a URL in a script’s own code, or a link out, for no load', () => {
    expect(() => toDocsPage(inlinePage('const logo = `https://cdn.example/logo.svg`; const a = "<script src=https://x>";'))).not.toThrow();
  });

  it('refuses a script a browser would end elsewhere than at its first </script>', () => {
    expect(() => splitScripts('<script>let a = "<!-- <script>"; </script> b </script>')).toThrow(/end a browser would read elsewhere/);
    expect(splitScripts('<script>let a = "<!-- -->"; </script><p>b</p>').scripts).toEqual(['let a = "<!-- -->"; ']);
  });
});

describe('createApiDocs', () => {
  const logger = createLogger('silent');

  it('renders once for concurrent and later GETs, from the document it is given', async () => {
    const documents: unknown[] = [];
    let release = () => {};
    const gate = new Promise<void>((done) => (release = done));
    const docs = createApiDocs({
      document: () => ({ openapi: '3.1.0' }),
      logger,
      render: async (document) => {
        documents.push(document);
        await gate;
        return inlinePage();
      },
    });
    const first = [docs.respond(), docs.respond()];
    release();
    const answers = [...(await Promise.all(first)), await docs.respond()];
    expect(docs.renders).toBe(1);
    expect(documents).toEqual([{ openapi: '3.1.0' }]);
    for (const answer of answers) {
      expect(answer.statusCode).toBe(200);
      expect(answer.body).toBe(inlinePage());
      expect(answer.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
    }
  });

  it('answers a failed render with a problem, and renders again on the next GET', async () => {
    let calls = 0;
    const docs = createApiDocs({
      document: () => ({}),
      logger,
      render: async () => {
        calls += 1;
        if (calls === 1) throw new Error('redocly build-docs failed: no such file');
        return inlinePage();
      },
    });
    const failed = await docs.respond();
    expect(failed.statusCode).toBe(500);
    expect(failed.headers).toEqual({ 'content-type': 'application/problem+json' });
    expect(JSON.parse(String(failed.body)).detail).toBe(
      'The API reference could not be rendered: redocly build-docs failed: no such file. The document itself is at /openapi.json.',
    );
    expect((await docs.respond()).statusCode).toBe(200);
    expect((await docs.respond()).statusCode).toBe(200);
    expect(docs.renders).toBe(2);
  });
});
