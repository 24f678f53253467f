import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { nyMidnightMs } from '@sys/market-time';
import { afterAll, expect, it } from 'vitest';
import { parseSampleIndependently, tempDir } from '../test/helpers.js';
import { samplePath } from './csv.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

it('the README example runs as written and prints the sample figures', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('README has no ts example');
  const script = join(tmp.dir, 'example.mts');
  // The script runs outside the workspace, so each entry (`@sys/market-data`, `…/csv`) becomes its source file.
  const entry = (subpath: string | undefined) =>
    JSON.stringify(fileURLToPath(new URL(`./${subpath ?? 'index'}.ts`, import.meta.url)));
  writeFileSync(
    script,
    block.replace(/'@sys\/market-data(?:\/(\w+))?'/g, (_, subpath?: string) => entry(subpath)),
  );
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  // Run from an empty directory, so the default store lands in <tmp>/data/sys.duckdb.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@sys/source', '--import', tsx, script],
    {
      cwd: tmp.dir,
    },
  );
  const sample = parseSampleIndependently(samplePath('AAPL_2025-07-02.csv'), 'AAPL');
  const day = sample.filter((b) => b.startMs >= nyMidnightMs('2025-07-02'));
  expect(stdout).toContain(`${sample.length} bars imported, 0 already there`);
  expect(stdout).toContain(
    `AAPL on 2025-07-02: ${day.length} bars, ${day.reduce((s, b) => s + b.volume, 0)} shares`,
  );
  expect(readFileSync(join(tmp.dir, 'data', 'sys.duckdb')).length).toBeGreaterThan(0);
}, 60_000);
