import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkArrows } from './check-arrows.mjs';

const script = fileURLToPath(new URL('./check-arrows.mjs', import.meta.url));
const trees: string[] = [];
afterEach(() => {
  for (const dir of trees.splice(0)) rmSync(dir, { recursive: true, force: true });
});

type Manifest = {
  exports?: Record<string, string>;
  dependencies?: string[];
  devDependencies?: string[];
};

/** A package.json with every export carrying the `@sys/source` condition. */
function manifest(name: string, m: Manifest = {}): string {
  const exports: Record<string, unknown> = { './package.json': './package.json' };
  for (const [subpath, file] of Object.entries(m.exports ?? { '.': './src/index.ts' }))
    exports[subpath] = { '@sys/source': file, types: './dist/x.d.ts', import: './dist/x.js' };
  const deps = (list: string[] = []) => Object.fromEntries(list.map((d) => [d, 'workspace:*']));
  return JSON.stringify({
    name,
    type: 'module',
    exports,
    dependencies: deps(m.dependencies),
    devDependencies: deps(m.devDependencies),
  });
}

/** A clean workspace: core ← market-data (pure main entry, one DuckDB adapter) ← session-data ← system-manager. */
function cleanTree(): Record<string, string> {
  return {
    'packages/core/package.json': manifest('@sys/core'),
    'packages/core/src/index.ts': "export { sealJson } from './seal.js';\n",
    'packages/core/src/seal.ts': 'export const sealJson = (v: unknown) => v;\n',
    'packages/market-data/package.json': manifest('@sys/market-data', {
      exports: { '.': './src/index.ts', './duckdb': './src/duckdb.ts' },
      dependencies: ['@sys/core', '@duckdb/node-api'],
    }),
    'packages/market-data/src/index.ts':
      "import { sealJson } from '@sys/core';\nexport const bar = sealJson(1);\n",
    'packages/market-data/src/duckdb.ts':
      "import { DuckDBInstance } from '@duckdb/node-api';\nexport class BarStore { db = DuckDBInstance; }\n",
    'packages/session-data/package.json': manifest('@sys/session-data', {
      dependencies: ['@sys/core', '@sys/market-data'],
      devDependencies: ['@sys/diff-tracker'],
    }),
    'packages/session-data/src/index.ts':
      "import type { BarStore } from '@sys/market-data/duckdb';\nimport { bar } from '@sys/market-data';\nexport type S = BarStore;\nexport const s = bar;\n",
    'packages/session-data/src/store.test.ts':
      "import { BarStore } from '@sys/market-data/duckdb';\nimport { readFileSync } from 'node:fs';\nexport const t = [BarStore, readFileSync];\n",
    'packages/system-manager/package.json': manifest('@sys/system-manager', {
      dependencies: ['@sys/market-data', '@sys/session-data'],
    }),
    'packages/system-manager/src/index.ts':
      "import { s } from '@sys/session-data';\nexport const open = async () => (await import('@sys/market-data/duckdb')).BarStore;\nexport { s };\n",
  };
}

function writeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'check-arrows-'));
  trees.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function run(root: string) {
  const out = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

/** The violations of a clean tree with some files replaced, as `file:line message` lines. */
function problems(changes: Record<string, string>): string[] {
  return checkArrows(writeTree({ ...cleanTree(), ...changes })).map(
    (v: { file: string; line: number; message: string }) => `${v.file}:${v.line} ${v.message}`,
  );
}

describe('check-arrows', () => {
  it('exits 0 on a clean tree: type-only adapter imports, test-only I/O and a lazy adapter are fine', () => {
    const result = run(writeTree(cleanTree()));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('exits 1 and names file:line for an import against the arrows', () => {
    const result = run(
      writeTree({
        ...cleanTree(),
        'packages/market-data/src/index.ts':
          "import { sealJson } from '@sys/core';\nimport { s } from '@sys/session-data';\nexport const bar = sealJson(s);\n",
      }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "packages/market-data/src/index.ts:2  '@sys/session-data': session-data is not earlier than market-data",
    );
  });

  it('finds an import into another package’s source, by name or by relative path', () => {
    expect(
      problems({
        'packages/session-data/src/index.ts':
          "import { sealJson } from '@sys/core/src/seal.js';\nimport { bar } from '../../market-data/src/index.js';\nexport const s = sealJson(bar);\n",
      }),
    ).toEqual([
      "packages/session-data/src/index.ts:1 '@sys/core/src/seal.js' reaches into @sys/core's internals; import one of its exports: '.'",
      "packages/session-data/src/index.ts:2 '../../market-data/src/index.js' reaches into @sys/market-data's files; import '@sys/market-data' (its exports) instead",
    ]);
  });

  it('finds a pure entry that loads an adapter, through its own files and through a sibling main entry', () => {
    const found = problems({
      'packages/market-data/src/index.ts':
        "import { sealJson } from '@sys/core';\nexport { BarStore } from './duckdb.js';\nexport const bar = sealJson(1);\n",
      'packages/session-data/src/index.ts': "export { s } from './state.js';\n",
      'packages/session-data/src/state.ts':
        "import { bar } from '@sys/market-data';\nexport const s = bar;\n",
    });
    expect(found).toEqual([
      "packages/market-data/src/duckdb.ts:1 @sys/market-data's main entry is pure but loads '@duckdb/node-api': packages/market-data/src/index.ts:2 → packages/market-data/src/duckdb.ts:1 → '@duckdb/node-api'",
      "packages/session-data/src/state.ts:1 @sys/session-data's main entry is pure but loads '@duckdb/node-api': packages/session-data/src/index.ts:1 → packages/session-data/src/state.ts:1 → packages/market-data/src/index.ts:2 → packages/market-data/src/duckdb.ts:1 → '@duckdb/node-api'",
    ]);
  });

  it('finds a pure entry that imports an adapter subpath or node:fs, even lazily', () => {
    const found = problems({
      'packages/session-data/src/index.ts':
        "import { BarStore } from '@sys/market-data/duckdb';\nexport const s = BarStore;\nexport const load = () => import('node:fs');\n",
    });
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^packages\/session-data\/src\/index\.ts:1 .*loads '@duckdb\/node-api'/);
    expect(found[1]).toMatch(/^packages\/session-data\/src\/index\.ts:3 .*loads 'node:fs'/);
  });

  it('finds a static adapter import where adapters must load lazily', () => {
    expect(
      problems({
        'packages/system-manager/src/index.ts':
          "import { BarStore } from '@sys/market-data/duckdb';\nexport const open = () => BarStore;\n",
      }),
    ).toEqual([
      "packages/system-manager/src/index.ts:1 '@sys/market-data/duckdb' is an adapter: @sys/system-manager wires adapters lazily, so load it with await import('@sys/market-data/duckdb')",
    ]);
  });

  it('finds a sibling missing from dependencies; tests may use devDependencies', () => {
    expect(
      problems({
        'packages/session-data/src/diff.ts': "import { d } from '@sys/diff-tracker';\nexport const x = d;\n",
        'packages/session-data/src/diff.test.ts':
          "import { d } from '@sys/diff-tracker';\nexport const x = d;\n",
        'packages/diff-tracker/package.json': manifest('@sys/diff-tracker', { dependencies: ['@sys/core'] }),
        'packages/diff-tracker/src/index.ts': 'export const d = 1;\n',
      }),
    ).toEqual([
      "packages/session-data/src/diff.ts:1 '@sys/diff-tracker': @sys/diff-tracker is not in dependencies of packages/session-data/package.json",
    ]);
  });

  it('holds client to core and diff-tracker, and knows every package in the tree', () => {
    expect(
      problems({
        'packages/client/package.json': manifest('@sys/client', { dependencies: ['@sys/market-data'] }),
        'packages/client/src/index.ts': "export { bar } from '@sys/market-data';\n",
        'packages/extras/package.json': manifest('@sys/extras'),
        'packages/extras/src/index.ts': 'export const x = 1;\n',
      }),
    ).toEqual([
      "packages/client/src/index.ts:1 '@sys/market-data': client may import only core and diff-tracker, not market-data",
      'packages/extras/package.json:1 packages/extras is not in the arrows order: add it to ORDER in scripts/check-arrows.mjs',
    ]);
  });

  it("lets the client's tests, and only its tests, run against a real server", () => {
    expect(
      problems({
        'packages/client/package.json': manifest('@sys/client', {
          dependencies: ['@sys/core'],
          devDependencies: ['@sys/server'],
        }),
        'packages/client/src/index.ts': "export { c } from '@sys/core';\n",
        'packages/client/test/live.test.ts': "import { s } from '@sys/server';\nexport const x = s;\n",
        'packages/client/src/client.ts': "import { s } from '@sys/server';\nexport const y = s;\n",
        'packages/core/package.json': manifest('@sys/core'),
        'packages/core/src/index.ts': 'export const c = 1;\n',
        'packages/server/package.json': manifest('@sys/server'),
        'packages/server/src/index.ts': 'export const s = 1;\n',
      }),
    ).toEqual([
      "packages/client/src/client.ts:1 '@sys/server': client may import only core and diff-tracker, not server",
      "packages/client/src/client.ts:1 '@sys/server': @sys/server is not in dependencies of packages/client/package.json",
    ]);
  });

  it('requires the @sys/source condition on every export', () => {
    const plain = JSON.stringify({ name: '@sys/core', exports: { '.': { import: './dist/index.js' } } });
    expect(problems({ 'packages/core/package.json': plain })).toEqual([
      "packages/core/package.json:1 exports['.'] has no '@sys/source' condition naming its src file",
    ]);
  });
});
