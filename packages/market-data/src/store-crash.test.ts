import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { storeSnapshot, tempDir } from '../test/helpers.js';
import { writeCsvBars } from './csv.js';
import { BarStore } from './duckdb.js';
import { samplePath } from './samples.js';
import { SyntheticBarSource } from './synthetic.js';

const tmp = tempDir();
afterAll(() => tmp.remove());
const child = fileURLToPath(new URL('../test/import-child.ts', import.meta.url));

it('a process killed mid-import leaves the store as it was before that file', async () => {
  const storePath = join(tmp.dir, 'crash.duckdb');
  const store = await BarStore.open(storePath);
  await store.importFile(samplePath('AAPL_2025-07-02.csv'));
  const before = await storeSnapshot(store);
  await store.close();

  // About 400k synthetic bars: 20 symbols over 51 trading days.
  const big = join(tmp.dir, 'big.csv');
  const source = new SyntheticBarSource({
    symbols: 20,
    startDate: '2025-01-02',
    endDate: '2025-03-17',
    seed: 1,
  });
  const total = await writeCsvBars(
    big,
    source.streamBars({ symbols: [], startDate: '2025-01-02', endDate: '2025-03-17' }),
  );
  expect(total).toBeGreaterThan(300_000);

  const proc = spawn(
    process.execPath,
    ['--conditions=@sys/source', '--import', 'tsx', child, storePath, big],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let killedAtRows = 0;
  let sawDone = false;
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (text: string) => {
    if (text.includes('done')) sawDone = true;
    const rows = Math.max(0, ...[...text.matchAll(/rows (\d+)/g)].map((m) => Number(m[1])));
    // Past several merges (50k rows each) into the bars table, so uncommitted rows are in the file's transaction.
    if (killedAtRows === 0 && rows >= total / 3) {
      killedAtRows = rows;
      proc.kill('SIGKILL');
    }
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    proc.on('exit', (c, s) => resolve([c, s])),
  );
  expect(signal).toBe('SIGKILL');
  expect(code).toBeNull();
  expect(sawDone).toBe(false);
  expect(killedAtRows).toBeGreaterThan(100_000);
  expect(killedAtRows).toBeLessThan(total);

  const reopened = await BarStore.open(storePath);
  try {
    expect(await storeSnapshot(reopened)).toEqual(before);
    // And the store still works: the same file imports whole now.
    const report = await reopened.importFile(big);
    expect(report.inserted).toBe(total);
  } finally {
    await reopened.close();
  }
}, 120_000);
