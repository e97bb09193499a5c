import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { observe } from '../../functions/common/observe.js';
import { mapErrorStack, mapStack, stackFrames } from '../../functions/common/stack-trace.js';

/**
 * A bundle built as the functions' are (minified ESM with a source map beside it, no
 * --enable-source-maps), from a source whose throwing line is known.
 */
let thrown: Error;
let bundle: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-stack-'));
  const functions = join(dir, 'functions', 'probe');
  const source = join(functions, 'thrower.ts');
  mkdirSync(functions, { recursive: true });
  writeFileSync(
    source,
    [
      'export function deepest(input: string): never {',
      '  const words = input.split(" ");',
      '  throw new Error(`no ${words.length} words`);',
      '}',
      'export const handler = (input: string) => [input].map(deepest);',
      '',
    ].join('\n'),
  );
  bundle = join(dir, 'index.mjs');
  await build({ entryPoints: [source], outfile: bundle, bundle: true, minify: true, format: 'esm', platform: 'node', sourcemap: true });
  // In a process of its own, as Lambda runs it: vitest's own source-map support would map the frames first.
  const script = `try { (await import(${JSON.stringify(pathToFileURL(bundle).href)})).handler('a b'); } catch (error) { process.stdout.write(error.stack); }`;
  const stack = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '' } }).toString();
  thrown = Object.assign(new Error('no 2 words'), { stack });
});

describe('stack traces mapped on demand', () => {
  it('names the source line a minified bundle frame was built from', () => {
    expect(thrown.stack).toContain('index.mjs:');
    const frames = stackFrames(thrown) ?? '';
    expect(frames).toMatch(/functions\/probe\/thrower\.ts:3:\d+/);
    expect(frames).toMatch(/functions\/probe\/thrower\.ts:5:\d+/);
    expect(frames).not.toContain('index.mjs');
    // The message is the log line's; the frames are the rest.
    expect(frames).not.toContain('no 2 words');
  });

  it('rewrites a thrown error’s stack in place, message first, as the runtime prints it', () => {
    const copy = new Error(thrown.message);
    copy.stack = thrown.stack;
    mapErrorStack(copy);
    expect(copy.stack?.split('\n')[0]).toBe('Error: no 2 words');
    expect(copy.stack).toMatch(/functions\/probe\/thrower\.ts:3:\d+/);
    expect(copy.message).toBe('no 2 words');
  });

  it('maps what a function throws before the runtime logs it (observe, every function’s first middleware)', async () => {
    const task = middy<unknown, unknown>()
      .use(observe({ keys: () => ({}), done: 'task' }))
      .handler(async () => {
        throw Object.assign(new Error('no 2 words'), { stack: thrown.stack });
      });
    const error = (await task({}, { awsRequestId: 'r1', functionName: 'f', getRemainingTimeInMillis: () => 1000 } as Context).catch(
      (caught: unknown) => caught,
    )) as Error;
    expect(error.message).toBe('no 2 words');
    expect(error.stack).toMatch(/functions\/probe\/thrower\.ts:3:\d+/);
    expect(error.stack).not.toContain('index.mjs');
  });

  it('leaves frames without a map beside their file as they are', () => {
    const stack = 'Error: x\n    at f (/nowhere/else.mjs:1:10)\n    at node:internal/process/task_queues:95:5\n    at g (/work/x.ts:4:2)';
    expect(mapStack(stack)).toBe(stack);
    expect(stackFrames('not an error')).toBeUndefined();
  });
});
