/**
 * Which way the imports point (docs/architecture.md#import-direction): nothing in
 * functions/ imports the CDK side or the local runtime, and the folders of functions/
 * import each other in one direction only, so every feature can change without pulling
 * the others along.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const FUNCTIONS = join(ROOT, 'functions');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import of every file under functions/, resolved to a repository path. */
const IMPORTS = sourceFiles(FUNCTIONS).flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map(([, specifier]) => ({
    file: relative(ROOT, file),
    target: relative(ROOT, resolve(dirname(file), specifier ?? '')),
  })),
);

const folderOf = (path: string) => relative(FUNCTIONS, join(ROOT, path)).split('/')[0] ?? '';

describe('functions/', () => {
  it('imports nothing from lib/ (CDK) or local/ (the local runtime)', () => {
    const outside = IMPORTS.filter(({ target }) => !target.startsWith('functions/'));
    expect(IMPORTS.length).toBeGreaterThan(100);
    expect(outside).toEqual([]);
  });

  it('has no import cycle between its folders', () => {
    const edges = new Map<string, Set<string>>();
    for (const { file, target } of IMPORTS) {
      const [from, to] = [folderOf(file), folderOf(target)];
      if (from !== to) edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
    // Depth-first search; a back edge is a cycle, reported as the path that closes it.
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (node: string, path: string[]) => {
      state.set(node, 'open');
      for (const next of edges.get(node) ?? []) {
        if (state.get(next) === 'open')
          cycles.push([...path, node, next].slice(path.indexOf(next) >= 0 ? path.indexOf(next) : path.length).join(' -> '));
        else if (!state.has(next)) visit(next, [...path, node]);
      }
      state.set(node, 'done');
    };
    for (const node of edges.keys()) if (!state.has(node)) visit(node, []);
    expect(edges.size).toBeGreaterThan(5);
    expect(cycles).toEqual([]);
  });

  it('takes AWS SDK values only through functions/common/aws-sdk.ts (types may be imported anywhere)', () => {
    // One place decides what is bundled and what comes from the runtime, and how
    // (docs/decisions/0034-what-a-cold-start-builds.md). The other door is the credentials
    // module the bundles alias the SDK's default chain to.
    const valueImports = sourceFiles(FUNCTIONS).flatMap((file) =>
      [
        ...readFileSync(file, 'utf8').matchAll(
          /^(?:import|export)\s+(?!type\b)[^;]*?from\s*'(@aws-sdk\/[^']+)'|import\(\s*'(@aws-sdk\/[^']+)'\s*\)/gm,
        ),
      ].map((match) => `${relative(ROOT, file)}: ${match[1] ?? match[2]}`),
    );
    const doors = valueImports.filter(
      (entry) =>
        entry.startsWith('functions/common/aws-sdk.ts:') ||
        entry === 'functions/common/aws-credentials.ts: @aws-sdk/credential-provider-env',
    );
    expect(doors.length).toBeGreaterThanOrEqual(8);
    expect(valueImports.filter((entry) => !doors.includes(entry))).toEqual([]);
  });

  it('keeps the shared kernel (functions/domain) free of imports from any feature', () => {
    const fromDomain = IMPORTS.filter(({ file, target }) => folderOf(file) === 'domain' && folderOf(target) !== 'domain');
    expect(fromDomain).toEqual([]);
  });
});
