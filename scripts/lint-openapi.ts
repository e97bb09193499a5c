/**
 * `npm run lint:openapi`: lints the OpenAPI document that `GET /openapi.json` serves with
 * Redocly's `recommended` rules, and fails on any error or warning (Redocly itself fails
 * on errors only, so the count is read from its JSON report).
 *
 * The document is built in process by `buildOpenApiDocument`, exactly as the system
 * function builds it, and written to a temporary file; the file is kept when there are
 * problems, so that their line numbers can be looked up.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildOpenApiDocument } from '../functions/api/openapi.js';

interface RedoclyReport {
  readonly totals: { readonly errors: number; readonly warnings: number };
  readonly problems: readonly {
    readonly ruleId: string;
    readonly severity: string;
    readonly message: string;
    readonly location: readonly { readonly pointer?: string }[];
  }[];
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-openapi-'));
const file = join(dir, 'openapi.json');
const text = `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
writeFileSync(file, text);

const redocly = resolve(import.meta.dirname, '../node_modules/.bin/redocly');
const run = spawnSync(redocly, ['lint', '--extends', 'recommended', '--format', 'json', '--max-problems', '1000', file], {
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
  // No usage data and no update check: CI reaches only the package registries.
  env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
});

let report: RedoclyReport;
try {
  report = JSON.parse(run.stdout) as RedoclyReport;
} catch {
  process.stderr.write(run.stderr ?? '');
  process.stderr.write(run.error ? `${run.error.message}\n` : '');
  console.error(`redocly lint did not report (exit ${run.status}); the document is in ${file}`);
  process.exit(1);
}

for (const problem of report.problems) {
  console.log(`${problem.severity} ${problem.ruleId} ${problem.location[0]?.pointer ?? ''}\n  ${problem.message}`);
}
const { errors, warnings } = report.totals;
console.log(
  `OpenAPI document (${Buffer.byteLength(text)} bytes, ${Object.keys(JSON.parse(text).paths).length} paths), Redocly recommended: ${errors} errors, ${warnings} warnings`,
);
if (errors > 0 || warnings > 0 || run.status !== 0) {
  console.log(`The document is kept in ${file}`);
  process.exit(1);
}
rmSync(dir, { recursive: true, force: true });
