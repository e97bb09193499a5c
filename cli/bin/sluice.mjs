#!/usr/bin/env node
// The `sluice` bin: runs the bundle `npm install` builds (npm run build:cli).
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/sluice.mjs', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write('sluice: the CLI is not built: run `npm install` (or `npm run build:cli`) in the clone\n');
  process.exit(2);
}
await import(bundle.href);
