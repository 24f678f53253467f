import { execFile, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { storeSnapshot, tempDir } from '../test/helpers.js';
import { BarStore, StoreError } from './duckdb.js';
import { samplePath } from './samples.js';

const run = promisify(execFile);
const tmp = tempDir();
afterAll(() => tmp.remove());
const sample = samplePath('AAPL_2025-07-02.csv');
const readChild = fileURLToPath(new URL('../test/read-child.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));

function file(name: string, text: string): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, text);
  return path;
}

async function refusal(open: Promise<BarStore>): Promise<StoreError> {
  try {
    await (await open).close();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    return error as StoreError;
  }
  throw new Error('expected the store to be refused');
}

const ROW = 'timestamp,symbol,open,high,low,close,volume\n2025-07-02T13:30:00Z,AAPL,10,11,9,10,100\n';

describe('BarStore.open refuses what is not a sys store (issue 20)', () => {
  it('item 3: --db on an existing CSV or Parquet file is refused and the file left as it was', async () => {
    const csv = file('bars.csv', ROW);
    const error = await refusal(BarStore.open(csv));
    expect(error.message).toContain(csv);
    expect(error.message).toMatch(/not a sys bar store \(not a DuckDB database/);
    expect(readFileSync(csv, 'utf8')).toBe(ROW);
    expect(existsSync(`${csv}.wal`)).toBe(false);
  });

  it('item 8: without create, a missing path says "no store" and creates neither file nor directory', async () => {
    const path = join(tmp.dir, 'typo', 'sub', 'none.duckdb');
    const error = await refusal(BarStore.open(path, { create: false }));
    expect(error.message).toContain(`${path}: no store at this path`);
    expect(existsSync(join(tmp.dir, 'typo'))).toBe(false);
    const readOnly = await refusal(BarStore.open(path, { readOnly: true }));
    expect(readOnly.message).toMatch(/no store at this path/);
    expect(existsSync(join(tmp.dir, 'typo'))).toBe(false);
  });

  it("item 14: another program's DuckDB file is refused and gains no table", async () => {
    const path = join(tmp.dir, 'other.duckdb');
    const instance = await DuckDBInstance.create(path);
    const c = await instance.connect();
    await c.run('CREATE TABLE bars (x INTEGER); INSERT INTO bars VALUES (1)');
    c.closeSync();
    instance.closeSync();
    const before = readFileSync(path);
    const error = await refusal(BarStore.open(path));
    expect(error.message).toContain('is a DuckDB database but not a sys bar store (it holds tables bars)');
    expect(readFileSync(path).equals(before)).toBe(true);
    const again = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    const r = await again.connect();
    const tables = (await r.runAndReadAll('SELECT table_name FROM duckdb_tables() ORDER BY 1')).getRows();
    r.closeSync();
    again.closeSync();
    expect(tables).toEqual([['bars']]);
  });

  it('a new path is still created (with its directories) by default, as `data import` needs', async () => {
    const path = join(tmp.dir, 'new', 'dir', 'sys.duckdb');
    const store = await BarStore.open(path);
    await store.importFile(sample);
    await store.close();
    expect(statSync(path).isFile()).toBe(true);
  });
});

describe('BarStore read-only (issue 20 item 11)', () => {
  it('reads a store opened read-only and refuses imports into it', async () => {
    const path = join(tmp.dir, 'ro.duckdb');
    const w = await BarStore.open(path);
    await w.importFile(sample);
    const before = await storeSnapshot(w);
    await w.close();
    const r = await BarStore.open(path, { readOnly: true });
    expect(r.readOnly).toBe(true);
    expect(await storeSnapshot(r)).toEqual(before);
    expect(() => r.importFile(sample)).toThrow(/read-only/);
    await r.close();
  });

  const root = process.getuid?.() === 0;
  // The unprivileged user must be able to read this checkout (node_modules, sources): a clone inside a
  // 0700 temp dir (as CI makes) is closed to it, and then the case cannot run — it is skipped, not faked.
  const nobodyCanRun =
    root &&
    spawnSync(process.execPath, ['--conditions=@sys/source', '--import', 'tsx', '-e', '0'], {
      uid: 65534,
      gid: 65534,
      cwd: packageDir,
    }).status === 0;
  it.skipIf(!nobodyCanRun)(
    'a store file without write permission is read by a user who cannot write it',
    async () => {
      const dir = join(tmp.dir, 'perm');
      mkdirSync(dir);
      const path = join(dir, 'sys.duckdb');
      const w = await BarStore.open(path);
      await w.importFile(sample);
      await w.close();
      chmodSync(path, 0o444);
      chmodSync(dir, 0o555);
      chmodSync(tmp.dir, 0o755);
      const nobody = { uid: 65534, gid: 65534, cwd: packageDir };
      const args = ['--conditions=@sys/source', '--import', 'tsx', readChild, path];
      const readOnly = await run(process.execPath, args, { ...nobody, env: { ...process.env, HOME: dir } });
      const coverage = JSON.parse(readOnly.stdout) as { symbol: string; bars: number }[];
      expect(coverage.map((c) => [c.symbol, c.bars])).toEqual([['AAPL', 862]]);
      // The same user opening it read-write is refused: the test does exercise the permission.
      const rw = spawnSync(process.execPath, [...args, 'read-write'], { ...nobody, encoding: 'utf8' });
      expect(rw.status).not.toBe(0);
      expect(rw.stderr).toMatch(/Permission denied|cannot open/);
    },
  );
});

describe('BarStore import on a full disk (issue 20 item 10)', () => {
  const mountPoint = join(tmp.dir, 'small');
  mkdirSync(mountPoint);
  // A 300 KiB tmpfs stands in for a full disk (never /dev/full); without the right to mount, skip.
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=300k', 'tmpfs', mountPoint]).status === 0;
  afterAll(() => {
    if (mounted) spawnSync('umount', [mountPoint]);
  });

  it.skipIf(!mounted)(
    'reports the first error (no space), not a failed rollback, and stores nothing',
    async () => {
      const rows = ['timestamp,symbol,open,high,low,close,volume'];
      const t0 = Date.UTC(2025, 6, 2, 13, 30);
      for (let i = 0; i < 200_000; i++) {
        const o = (10 + Math.sin(i)).toFixed(4);
        const c = (10 + Math.cos(i)).toFixed(4);
        rows.push(
          `${new Date(t0 + i * 60_000).toISOString()},S${i % 7},${o},12,8,${c},${(i * 7919) % 1000003}`,
        );
      }
      const big = file('big.csv', `${rows.join('\n')}\n`);
      const path = join(mountPoint, 'sys.duckdb');
      const store = await BarStore.open(path);
      try {
        const error = await store.importFile(big).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StoreError);
        const message = (error as Error).message;
        expect(message).toContain(path);
        expect(message).toContain(big);
        expect(message).toMatch(/No space left on device/);
        expect(message).not.toMatch(/^.*cannot rollback/);
        expect(await store.coverage()).toEqual([]);
      } finally {
        await store.close();
      }
    },
  );
});

describe('importPath on a directory (issue 20 item 12)', () => {
  it('tries every file, reports each refused one with its first error, and stores each file whole or not at all', async () => {
    const dir = join(tmp.dir, 'mixed');
    mkdirSync(dir);
    copyFileSync(sample, join(dir, 'AAPL_2025-07-02.csv'));
    writeFileSync(join(dir, 'B_bad.csv'), `${ROW.replace('AAPL', 'B')}2025-07-02T13:31:00Z,B,10,11,9,10,x\n`);
    writeFileSync(join(dir, 'C_good.csv'), ROW.replace('AAPL', 'C'));
    const store = await BarStore.open(join(tmp.dir, 'mixed.duckdb'));
    try {
      const reports = await store.importPath(dir);
      expect(reports.map((r) => [r.file.slice(dir.length + 1), r.inserted, r.error?.code])).toEqual([
        ['AAPL_2025-07-02.csv', 862, undefined],
        ['B_bad.csv', 0, 'CSV_FORMAT'],
        ['C_good.csv', 1, undefined],
      ]);
      expect(reports[1]?.error?.message).toContain('B_bad.csv:3');
      expect((await store.coverage()).map((c) => c.symbol)).toEqual(['AAPL', 'C']);
    } finally {
      await store.close();
    }
  });
});
