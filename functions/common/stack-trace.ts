import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Stack traces in the sources' terms, read from the bundle's source map when an error is
 * reported, not at every cold start (docs/decisions/0034-what-a-cold-start-builds.md).
 *
 * Node's `--enable-source-maps` reads and parses a bundle's map (about 450 kB) while the
 * module loads: 6–12 ms of every cold start, for traces most invocations never print.
 * Here the map of a file is read on the first error that has a frame in it, once per
 * process, and only frames of a `.js`/`.mjs` file with a `.map` beside it change: under
 * tsx (locally, in the tests) frames already name the `.ts` sources and stay as they are.
 */
const maps = new Map<string, SourceMap | null>();

function mapOf(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = null;
    }
    maps.set(file, map);
  }
  return map;
}

/**
 * esbuild names a source relative to the folder it built in (`../../../work/app/functions/x.ts`):
 * shown from `functions/` for ours and from the last `node_modules/` for a dependency.
 */
function sourceName(source: string): string {
  const dependency = source.lastIndexOf('node_modules/');
  if (dependency >= 0) return source.slice(dependency);
  const ours = source.search(/(^|\/)functions\//);
  return ours >= 0 ? source.slice(ours).replace(/^\//, '') : source;
}

/** `(file:///var/task/index.mjs:1:2345)` and `at /var/task/index.mjs:1:2345`: a frame's location. */
const LOCATION = /((?:file:\/\/)?\/[^\s():]+\.m?js):(\d+):(\d+)/g;

/** `stack` with each bundle location replaced by the source line it was built from. */
export function mapStack(stack: string): string {
  return stack.replace(LOCATION, (location: string, file: string, line: string, column: string) => {
    const path = file.startsWith('file://') ? fileURLToPath(file) : file;
    const entry = mapOf(path)?.findEntry(Number(line) - 1, Number(column) - 1);
    if (!entry || !('originalSource' in entry) || entry.originalSource === undefined) return location;
    return `${sourceName(entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

/** The frames of `error`'s stack (without its first line, the message a log line already carries), mapped. */
export function stackFrames(error: unknown): string | undefined {
  if (!(error instanceof Error) || typeof error.stack !== 'string') return undefined;
  const frames = error.stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
  return frames ? mapStack(frames) : undefined;
}

/**
 * Rewrites `error.stack` in the sources' terms before the error leaves the handler: what
 * the Lambda runtime logs of a thrown error, and hands a Step Functions task as its
 * cause, then names `functions/…` lines as `--enable-source-maps` did.
 */
export function mapErrorStack(error: unknown): void {
  if (!(error instanceof Error) || typeof error.stack !== 'string') return;
  try {
    Object.defineProperty(error, 'stack', { value: mapStack(error.stack), writable: true, configurable: true });
  } catch {
    // A frozen error keeps the stack it has.
  }
}
