import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import * as marketData from '@sys/market-data';
import * as sessionData from '@sys/session-data';
import { afterEach, expect, it, vi } from 'vitest';
import * as threads from './index.js';

// Runs the README's example as written: each import line is bound to that package's exports and every
// `console.log(...); // → expected` line must print exactly what its comment says.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const modules: Record<string, Record<string, unknown>> = {
  '@sys/market-data': marketData,
  '@sys/session-data': sessionData,
  '@sys/threads': threads,
};

afterEach(() => {
  vi.restoreAllMocks();
});

it('runs the README example and prints what its comments say', async () => {
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('README has no ```ts example');
  const names: string[] = [];
  const values: unknown[] = [];
  let body = block;
  for (const m of block.matchAll(/^import \{([^}]+)\} from '([^']+)';\n/gm)) {
    const exports = modules[m[2] ?? ''];
    if (exports === undefined) throw new Error(`README imports ${m[2]}, which this test does not bind`);
    for (const name of (m[1] ?? '').split(',').map((n) => n.trim())) {
      expect(exports[name], `${name} is exported by ${m[2]}`).toBeDefined();
      names.push(name);
      values.push(exports[name]);
    }
    body = body.replace(m[0], '');
  }
  expect(names).toContain('runBacktest');
  const expected = [...body.matchAll(/console\.log\(.*\); \/\/ → (.*)$/gm)].map((m) => m[1]);
  expect(expected.length).toBeGreaterThan(3);
  const printed: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(args.map((arg) => inspect(arg)).join(' '));
  });
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...params: string[]
  ) => (...args: unknown[]) => Promise<void>;
  await new AsyncFunction(...names, body)(...values);
  expect(printed).toEqual(expected);
});
