/**
 * `npm run build:cli` (run by `npm install` through `prepare`): bundles the CLI into one
 * ESM file, `cli/dist/sluice.mjs`, which the `sluice` bin runs. One file starts faster
 * than a tree of modules through a TypeScript loader (README, benchmarks: `sluice --help`).
 */
import { join } from 'node:path';
import { build } from 'esbuild';

const root = import.meta.dirname;

export async function buildCli(outfile = join(root, 'dist', 'sluice.mjs')): Promise<string> {
  await build({
    entryPoints: [join(root, 'entry.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    // commander and yaml ship CommonJS: give the bundle a require of its own.
    banner: { js: "import { createRequire as __sluiceRequire } from 'node:module'; const require = __sluiceRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return outfile;
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`built ${await buildCli()}\n`);
