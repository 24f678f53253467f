import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { afterEach, expect, it, vi } from 'vitest';
import * as api from './index.js';

// Runs the README's example as written: the import line is bound to this package's exports and every
// `console.log(...); // → expected` line must print exactly what its comment says.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

afterEach(() => {
  vi.restoreAllMocks();
});

it('runs the README example and prints what its comments say', async () => {
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('README has no ```ts example');
  const importLine = /^import \{([^}]+)\} from '@sys\/market-time';\n/m.exec(block);
  if (importLine === null) throw new Error('README example does not import from @sys/market-time');
  const names = (importLine[1] ?? '').split(',').map((name) => name.trim());
  const body = block.replace(importLine[0], '');
  const expected = [...body.matchAll(/console\.log\(.*\); \/\/ → (.*)$/gm)].map((m) => m[1]);
  expect(expected.length).toBeGreaterThan(3);

  const printed: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(args.map((arg) => inspect(arg)).join(' '));
  });
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...params: string[]
  ) => (...args: unknown[]) => Promise<void>;
  const exports = api as Record<string, unknown>;
  for (const name of names) expect(exports[name], `${name} is exported`).toBeDefined();
  await new AsyncFunction(...names, body)(...names.map((name) => exports[name]));
  expect(printed).toEqual(expected);
});
