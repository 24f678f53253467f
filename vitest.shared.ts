import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));

/**
 * Every workspace package name → its src/index.ts, so tests run against sibling packages' sources: a
 * package tests alone without building the others, and a test never runs against a stale dist.
 */
function workspaceSources(): Record<string, string> {
  const out: Record<string, string> = {};
  const dir = join(root, 'packages');
  for (const name of readdirSync(dir)) {
    const pkg = JSON.parse(readFileSync(join(dir, name, 'package.json'), 'utf8')) as { name: string };
    out[pkg.name] = join(dir, name, 'src', 'index.ts');
  }
  return out;
}

/** The one vitest base every package's one-line config extends. */
export function packageProject(name: string) {
  return defineProject({
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 30_000,
    },
    resolve: {
      alias: workspaceSources(),
    },
  });
}
