/**
 * `npm run build:console` (run by `npm install` through `prepare`, after the CLI's build):
 * the web console's static files into `console/dist/`, then the size of its first load,
 * gzipped: the page and every script and style it names, which is what a browser fetches
 * before the first render (target: under 250 kB).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const root = import.meta.dirname;

/** The folder the build writes to. */
export const CONSOLE_DIST = join(root, 'dist');

export async function buildConsole(): Promise<string> {
  await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
  return CONSOLE_DIST;
}

/** The page's first load: its files by name with their raw and gzipped bytes. */
export function firstLoad(dist: string = CONSOLE_DIST): {
  files: { name: string; bytes: number; gzip: number }[];
  bytes: number;
  gzip: number;
} {
  const html = readFileSync(join(dist, 'index.html'));
  const names = [...html.toString('utf8').matchAll(/(?:src|href)="\/console\/(assets\/[^"]+\.(?:js|css))"/g)].map(
    (found) => found[1] as string,
  );
  const files = [{ name: 'index.html', content: html }, ...names.map((name) => ({ name, content: readFileSync(join(dist, name)) }))].map(
    ({ name, content }) => ({ name, bytes: content.length, gzip: gzipSync(content, { level: 9 }).length }),
  );
  return { files, bytes: files.reduce((sum, file) => sum + file.bytes, 0), gzip: files.reduce((sum, file) => sum + file.gzip, 0) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  await buildConsole();
  const load = firstLoad();
  const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
  process.stdout.write(
    `built ${CONSOLE_DIST} in ${((performance.now() - started) / 1000).toFixed(1)} s: first load ${kB(load.gzip)} gzip (${kB(load.bytes)}) in ${load.files.length} files\n`,
  );
}
