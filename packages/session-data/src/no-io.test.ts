import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
// The recorder belongs to @sys/market-data's tests (it proves that package's pure entry); this test reuses
// the file by path rather than keeping a copy.
const RECORDER = fileURLToPath(new URL('../../market-data/test/record-loads.mjs', import.meta.url));
const isDuckDb = (url: string) => url.includes('/@duckdb/') || url.endsWith('.node');

/** Every module URL a fresh `node` loads for `await import(specifier)` from this package, on the sources. */
async function modulesLoadedBy(specifier: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sys-session-data-loads-'));
  try {
    const file = join(dir, 'loads.txt');
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const args = ['--conditions=@sys/source', '--import', tsx, '--import', RECORDER, '--input-type=module'];
    await promisify(execFile)(
      process.execPath,
      [...args, '--eval', `await import(${JSON.stringify(specifier)});`],
      {
        cwd: PACKAGE_DIR,
        env: { ...process.env, SYS_RECORD_LOADS: file },
      },
    );
    return [
      ...new Set(
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((url) => url !== ''),
      ),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

it('importing @sys/session-data loads no DuckDB and no file or socket module', async () => {
  const loaded = await modulesLoadedBy('@sys/session-data');
  // It did load the package and @sys/market-data's main entry, so an empty record cannot pass.
  expect(loaded).toContain(new URL('./index.ts', import.meta.url).href);
  expect(loaded.some((url) => url.endsWith('/market-data/src/index.ts'))).toBe(true);
  expect(loaded.filter(isDuckDb)).toEqual([]);
  expect(
    loaded.filter((url) => /^node:(?:fs|fs\/promises|net|tls|http|https|child_process)$/.test(url)),
  ).toEqual([]);
  // 34 modules at the split (tsx's own not counted), against 234 (183 of them DuckDB) before it.
  expect(loaded.length).toBeLessThan(100);
});

it('the same check sees DuckDB when an import does load it', async () => {
  const loaded = await modulesLoadedBy('@sys/market-data/duckdb');
  expect(loaded.some((url) => url.includes('/@duckdb/node-api/'))).toBe(true);
  expect(loaded.some((url) => url.endsWith('.node'))).toBe(true);
});
