import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * `GET /console…`: the web console's static files, as `npm run build:console` writes them
 * to `console/dist/` (also run by `npm install`, through `prepare`). In AWS CloudFront
 * serves the same files from S3; here the local runtime does, on the API's own origin.
 *
 * The page learns where the API is and how to sign in from `config.json`. Locally the
 * answer names no API URL (the page calls its own origin, whatever host it was reached
 * by) and sign-in by a pasted dev token; the stack writes its own with the API's URL and
 * the OIDC settings.
 */

/** Where the local runtime serves the console. */
export const CONSOLE_PATH = '/console';

/** The folder `npm run build:console` writes to. */
export const CONSOLE_DIST = join(import.meta.dirname, '..', 'console', 'dist');

/**
 * Only this origin: the page's scripts and styles are files of its own (no inline script,
 * no `style` attribute in its markup), it calls the API on the same origin, and no other
 * page may frame it.
 */
export function consoleContentSecurityPolicy(connectOrigins: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    ['connect-src', "'self'", ...connectOrigins].join(' '),
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const CONSOLE_CONTENT_SECURITY_POLICY = consoleContentSecurityPolicy();

/** The local `config.json`: the API on the page's own origin, sign-in by a pasted token. */
export const LOCAL_CONSOLE_CONFIG = { auth: { kind: 'token' } } as const;

/** Sign-in by OIDC instead of a pasted token (the stack's, tried against a local issuer). */
export interface ConsoleOidc {
  readonly issuer: string;
  readonly clientId: string;
  readonly scopes?: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/**
 * The console's answer to a GET under {@link CONSOLE_PATH}: `/console` and `/console/`
 * are the page, `/console/config.json` the local settings, anything else a file of the
 * build (never outside it), or 404.
 */
export function createConsoleSite(
  dist: string = CONSOLE_DIST,
  options: { readonly oidc?: ConsoleOidc } = {},
): (path: string) => Promise<APIGatewayProxyStructuredResultV2> {
  const config = options.oidc ? { auth: { kind: 'oidc', ...options.oidc } } : LOCAL_CONSOLE_CONFIG;
  // The page calls the issuer itself (discovery and the token request): its origin joins connect-src.
  const headers = {
    'content-security-policy': consoleContentSecurityPolicy(options.oidc ? [new URL(options.oidc.issuer).origin] : []),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
  const answer = (statusCode: number, extension: string, body: string): APIGatewayProxyStructuredResultV2 => ({
    statusCode,
    headers: { 'content-type': TYPES[extension] ?? 'text/plain', ...headers, 'cache-control': 'no-store' },
    body,
  });
  return async (path) => {
    const rest = path.slice(CONSOLE_PATH.length).replace(/^\/+/, '');
    if (path === CONSOLE_PATH) return { statusCode: 308, headers: { location: `${CONSOLE_PATH}/` }, body: '' };
    if (rest === 'config.json') return answer(200, '.json', JSON.stringify(config));
    const file = normalize(join(dist, rest === '' ? 'index.html' : rest));
    if (!file.startsWith(`${dist}${sep}`)) return answer(404, '.html', 'Not found');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch (error) {
      if (rest === '' || rest === 'index.html') {
        return answer(
          503,
          '.html',
          `The console is not built: run <code>npm run build:console</code> (npm install runs it too). ${String((error as Error).message).replaceAll('<', '&lt;')}`,
        );
      }
      return answer(404, '.html', 'Not found');
    }
    return {
      statusCode: 200,
      headers: {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        ...headers,
        // Files under assets/ carry a hash of their content in their name; the page and its config are asked for each time.
        'cache-control': rest.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-store',
      },
      body: body.toString('base64'),
      isBase64Encoded: true,
    };
  };
}
