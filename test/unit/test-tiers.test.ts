import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TIERS } from '../../vitest.config.js';

const TEST_ROOT = join(import.meta.dirname, '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : testFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(TEST_ROOT, path)] : [];
  });
}

const tierOf = (file: string) =>
  Object.entries(TIERS).filter(([, tier]) => (tier.folders as readonly string[]).includes(file.split('/')[0] ?? ''));

describe('test tiers (vitest projects)', () => {
  const files = testFiles(TEST_ROOT);

  it('put every test file in exactly one tier, so none is silently left out of npm test', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((file) => tierOf(file).length !== 1)).toEqual([]);
  });

  it('keep DynamoDB Local (and so Java) out of the unit tier', () => {
    expect(TIERS.unit.dynamodb).toBe(false);
    const unit = files.filter((file) => tierOf(file)[0]?.[0] === 'unit' && file !== 'unit/test-tiers.test.ts');
    const offending = unit.filter((file) =>
      /inject\(|dynamodbEndpoint|support\/api\.js|local\/runtime\.js|startDynamoDbLocal/.test(readFileSync(join(TEST_ROOT, file), 'utf8')),
    );
    expect(offending).toEqual([]);
  });
});
