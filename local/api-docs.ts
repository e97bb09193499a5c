import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Logger } from '../functions/common/logger.js';
import { INTERNAL_PROBLEM } from '../functions/common/problem.js';

/**
 * `GET /docs`: the OpenAPI document that `GET /openapi.json` serves, rendered for people
 * by Redoc through `redocly build-docs` (@redocly/cli, the devDependency that already lints
 * the document). Local only: the deployed stack serves the document, not this page.
 *
 * Why build-docs, and why `--inlineBundle`: by default its page imports Redoc from
 * Redocly's CDN (`import { hydrate } from "https://cdn.redocly.com/…"`); with
 * `--inlineBundle` the same page carries the Redoc bundle that ships inside @redocly/cli,
 * so it loads no script or style from another origin, and works offline. It renders the
 * whole of Redoc (operations by tag, parameters, schemas, examples, enum descriptions,
 * search) for no renderer code of ours. It runs without a network: no telemetry, no
 * update check.
 *
 * Why lazily, once: a render spawns the CLI, 0.6 to 1 s (measured on two busy cores) and
 * 140 MB for that moment. At start that would slow every `npm start` and every
 * integration test's runtime, for a page few open; so the first GET /docs pays it,
 * concurrent first GETs share one render, and the page (2.7 MB) is kept in memory. A
 * failed render is not kept: the next GET tries again.
 */

const run = promisify(execFile);

/** Where the local runtime serves the page. */
export const DOCS_PATH = '/docs';

/** The page and its policy, served as they are on every GET. */
export interface DocsPage {
  readonly html: string;
  readonly contentSecurityPolicy: string;
}

export interface ApiDocs {
  /** The answer to `GET /docs`: the page (rendered on the first call), or a problem if it cannot be rendered. */
  respond(): Promise<APIGatewayProxyStructuredResultV2>;
  /** How many renders have begun: 1 after any number of GETs that were served. */
  readonly renders: number;
  /** Ends a render in progress (the runtime stops). */
  stop(): Promise<void>;
}

export interface ApiDocsOptions {
  /** The OpenAPI document, as `GET /openapi.json` serves it. */
  readonly document: () => unknown;
  readonly logger: Logger;
  /** Turns the document into the page's HTML. @default {@link renderWithRedocly} */
  readonly render?: (document: unknown, signal: AbortSignal) => Promise<string>;
}

export function createApiDocs(options: ApiDocsOptions): ApiDocs {
  const render = options.render ?? renderWithRedocly;
  let renders = 0;
  let page: Promise<DocsPage> | undefined;
  const stopping = new AbortController();

  const load = (): Promise<DocsPage> => {
    if (page) return page;
    renders += 1;
    const rendering = (async () => {
      const started = performance.now();
      const built = toDocsPage(await render(options.document(), stopping.signal));
      options.logger.debug('API docs rendered', { ms: Math.round(performance.now() - started), bytes: Buffer.byteLength(built.html) });
      return built;
    })();
    page = rendering;
    rendering.catch(() => {
      if (page === rendering) page = undefined;
    });
    return rendering;
  };

  return {
    async respond(): Promise<APIGatewayProxyStructuredResultV2> {
      let loaded: DocsPage;
      try {
        loaded = await load();
      } catch (error) {
        options.logger.error('API docs could not be rendered', { error });
        return {
          statusCode: 500,
          headers: { 'content-type': 'application/problem+json' },
          body: JSON.stringify({
            ...INTERNAL_PROBLEM,
            detail: `The API reference could not be rendered: ${error instanceof Error ? error.message : String(error)}. The document itself is at /openapi.json.`,
          }),
        };
      }
      return {
        statusCode: 200,
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': loaded.contentSecurityPolicy,
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
          // The runtime's memory is the cache; a browser asks again, and gets the page of the code now running.
          'cache-control': 'no-store',
        },
        body: loaded.html,
      };
    },
    get renders() {
      return renders;
    },
    async stop() {
      stopping.abort();
      await page?.catch(() => {});
    },
  };
}

/**
 * The page as `redocly build-docs --inlineBundle` writes it, from a temporary copy of the
 * document. The CLI is run by its own path with this Node, so no shell and no `npx`.
 */
export async function renderWithRedocly(document: unknown, signal: AbortSignal): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-docs-'));
  try {
    const input = join(dir, 'openapi.json');
    const output = join(dir, 'docs.html');
    await writeFile(input, JSON.stringify(document));
    await run(process.execPath, [redoclyCli(), 'build-docs', input, '--inlineBundle', '--output', output], {
      // A folder of its own: no redocly.yaml of the caller's is picked up.
      cwd: dir,
      // No usage data and no update check: the page is made on this machine, from nothing but the document.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      signal,
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: Error & { stderr?: string }) => {
      // Its stderr holds banners too (a Node version notice); the last lines say what failed.
      const said = (error.stderr ?? '').trim().split('\n').slice(-3).join(' ').trim();
      throw new Error(`redocly build-docs failed${said ? `: ${said}` : ` (${error.message})`}`, { cause: error });
    });
    return await readFile(output, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The CLI's entry file, read from its package.json, so that it moves with the package. */
function redoclyCli(): string {
  const manifest = createRequire(import.meta.url).resolve('@redocly/cli/package.json');
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> };
  return join(dirname(manifest), bin.redocly ?? 'bin/cli.js');
}

/** An element of the markup that loads from another origin (`https://…` or `//…`). */
const EXTERNAL_ELEMENT = /<(?:script|link|img|iframe|source|embed|object)\b[^>]*\s(?:src|href|data)\s*=\s*["']?\s*(?:https?:)?\/\/[^>]*>?/i;
/** A script that imports a module from another origin. */
const EXTERNAL_IMPORT = /\bimport\s*(?:\(\s*|[^;()]*?\bfrom\s*)["'`](?:https?:)?\/\/[^"'`]*/;

/**
 * Checks that the page loads nothing from another origin, and writes the policy that keeps
 * it so. Without the inlined bundle, Redocly's page imports Redoc from its CDN in a
 * `<script>` and preloads it with a `<link>`: such a page is refused rather than served.
 */
export function toDocsPage(html: string): DocsPage {
  const { markup, scripts } = splitScripts(html);
  const external = EXTERNAL_ELEMENT.exec(markup) ?? scripts.map((script) => EXTERNAL_IMPORT.exec(script)).find(Boolean);
  if (external) throw new Error(`the rendered page loads from another origin: ${external[0].slice(0, 160)}`);
  return { html, contentSecurityPolicy: contentSecurityPolicy(scripts) };
}

/**
 * Only this origin and the page's own inline parts:
 * - scripts: the page's inline ones by their sha256 (Redoc's color-mode switch, and its
 *   bundle with the document), so no other inline script runs; no 'unsafe-inline' and no
 *   'unsafe-eval' (Redoc's search tries `Function()` for a worker and works without one).
 * - styles: 'unsafe-inline', because Redoc needs it: styled-components writes its CSS into
 *   `<style>` elements as it renders, and the prerendered markup has `style=""`
 *   attributes, which no hash can name. Styles cannot run code.
 * - images and fonts: also `data:`, the inline icons and font in Redoc's CSS.
 * - connections: this origin, which is the document's server (`/`), for Redoc's
 *   "Try it" panel. Redoc's footer logo is an `<img>` from Redocly's CDN: img-src blocks
 *   it, and the image hides itself.
 */
function contentSecurityPolicy(scripts: readonly string[]): string {
  const hashes = [...new Set(scripts.map((script) => `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`))];
  return [
    "default-src 'self'",
    `script-src 'self' ${hashes.join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The page's markup without its scripts, and the text of each script, as a browser's
 * HTML parser delimits it: a script ends at the first `</script` (Redoc's code writes
 * any of its own as `<\/script`). Inside `<!--`, a `<script` would make the parser look
 * past that end and the hashes would not match what the browser runs: refused.
 */
export function splitScripts(html: string): { markup: string; scripts: string[] } {
  const scripts: string[] = [];
  const markup = html.replace(/(<script\b[^>]*>)([\s\S]*?)(<\/script[\s/>])/gi, (_all, open: string, text: string, close: string) => {
    for (const comment of text.matchAll(/<!--/g)) {
      const end = text.indexOf('-->', (comment.index ?? 0) + 4);
      if (/<script[\s/>]/i.test(text.slice(comment.index, end === -1 ? undefined : end))) {
        throw new Error('the rendered page has a script whose end a browser would read elsewhere (<!-- <script)');
      }
    }
    scripts.push(text);
    return `${open}${close}`;
  });
  return { markup, scripts };
}
