import { spawnSync } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { samplePath } from '@sys/market-data/samples';
import { afterAll, describe, expect, it } from 'vitest';
import { obj, run, tempDir } from '../test/io.js';
import { main } from './index.js';

const tmp = tempDir();
afterAll(() => tmp.remove());
const CSV = samplePath('AAPL_2025-07-02.csv');
const root = process.getuid?.() === 0;

/** Runs `backtest run` (the bundled sample) writing its final state to `out`. */
function backtestTo(out: string, ...extra: string[]) {
  return run(['backtest', 'run', '-q', '--out', out, ...extra]);
}

describe('item 1: --out never replaces what is not a regular file', () => {
  it('a new path is created and a regular file replaced atomically', async () => {
    const out = join(tmp.dir, 'state.json');
    const first = await backtestTo(out);
    expect(first.code).toBe(0);
    expect(obj(JSON.parse(readFileSync(out, 'utf8'))).session_data).toBeDefined();
    writeFileSync(out, 'old');
    const second = await run(['backtest', 'run', '--out', out]);
    expect(second.code).toBe(0);
    expect(second.stderr.text).toMatch(/wrote .*state\.json \([\d,]+ bytes, replaced\)/);
    expect(statSync(out).isFile()).toBe(true);
  });

  it('a symlink is followed: the target is replaced, the link stays a link', async () => {
    const target = join(tmp.dir, 'target.json');
    writeFileSync(target, 'old');
    const link = join(tmp.dir, 'link.json');
    symlinkSync(target, link);
    const { code, stderr } = await run(['backtest', 'run', '--out', link]);
    expect(code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toMatch(/^\{"system_manager"/);
    expect(stderr.text).toContain('through the symlink');
  });

  it('a dangling symlink and a directory are refused with exit 2, and left as they were', async () => {
    const dangling = join(tmp.dir, 'dangling.json');
    symlinkSync(join(tmp.dir, 'nowhere', 'x.json'), dangling);
    const a = await backtestTo(dangling);
    expect(a.code).toBe(2);
    expect(a.stderr.text).toMatch(/--out .*dangling\.json: is a symlink whose target does not exist/);
    expect(lstatSync(dangling).isSymbolicLink()).toBe(true);
    const dir = join(tmp.dir, 'a-dir');
    mkdirSync(dir);
    const b = await backtestTo(dir);
    expect(b.code).toBe(2);
    expect(b.stderr.text).toMatch(/is a directory/);
    expect(statSync(dir).isDirectory()).toBe(true);
  });

  it('a FIFO is written through, not replaced', async () => {
    const fifo = join(tmp.dir, 'state.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const chunks: Buffer[] = [];
    const reader = new Promise<string>((resolve, reject) => {
      createReadStream(fifo)
        .on('data', (c: string | Buffer) => {
          chunks.push(Buffer.from(c));
        })
        .on('end', () => resolve(Buffer.concat(chunks).toString()))
        .on('error', reject);
    });
    const { code, stderr } = await backtestTo(fifo);
    expect(code).toBe(0);
    expect(stderr.text).toBe('');
    expect(await reader).toMatch(/^\{"system_manager"/);
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  it.skipIf(!root)(
    'a character device is written through, a block device refused; both stay devices',
    async () => {
      // Device nodes made in the test's own directory (never /dev): c 1 3 is the null device.
      const nul = join(tmp.dir, 'null-device');
      const made = spawnSync('mknod', [nul, 'c', '1', '3']).status === 0;
      if (!made) return; // mknod refused in this container: the FIFO case above covers write-through
      const written = await run(['backtest', 'run', '--out', nul]);
      expect(written.code).toBe(0);
      expect(written.stderr.text).toContain('written through');
      expect(statSync(nul).isCharacterDevice()).toBe(true);
      const block = join(tmp.dir, 'block-device');
      expect(spawnSync('mknod', [block, 'b', '7', '0']).status).toBe(0);
      const refused = await backtestTo(block);
      expect(refused.code).toBe(2);
      expect(refused.stderr.text).toMatch(/is a block device/);
      expect(statSync(block).isBlockDevice()).toBe(true);
    },
  );
});

/** A stdout whose reader has gone: every write fails with EPIPE, as a pipe to a finished `head` does. */
class ClosedPipe extends Writable {
  isTTY = false;
  override _write(_chunk: unknown, _encoding: string, done: (error?: Error) => void): void {
    done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  }
}

describe('item 6: a closed stdout ends sys quietly', () => {
  it('backtest run into a closed pipe exits 141 with nothing on stderr', async () => {
    const stderr: string[] = [];
    const code = await main(['backtest', 'run', '-q'], {
      stdin: process.stdin,
      stdout: new ClosedPipe(),
      stderr: new Writable({
        write(chunk, _e, done) {
          stderr.push(String(chunk));
          done();
        },
      }),
      env: {},
      cwd: tmp.dir,
    });
    expect(code).toBe(141);
    expect(stderr.join('')).toBe('');
  });
});

describe('item 7: duration parameters are bounded', () => {
  it('--interval past an hour is a usage error (no 1 ms timer)', async () => {
    const { code, stderr } = await run(['system', 'json', '--watch', '--interval', '3000000000']);
    expect(code).toBe(2);
    expect(stderr.text).toMatch(/--interval expects a whole number from 1 to 3600000, got "3000000000"/);
  });
});

describe('item 8 and 11: only data import creates a store; reading opens it read-only', () => {
  it('data list on a missing path says "no store" and creates nothing', async () => {
    const db = join(tmp.dir, 'typo', 'sub', 'none.duckdb');
    const { code, stderr } = await run(['data', 'list', '--db', db]);
    expect(code).toBe(1);
    expect(stderr.text).toContain(`${db}: no store at this path`);
    expect(existsSync(join(tmp.dir, 'typo'))).toBe(false);
  });

  it('a config naming a missing store says "no store", not "unknown symbol", and creates nothing', async () => {
    const config = join(tmp.dir, 'typo-store.json');
    writeFileSync(
      config,
      JSON.stringify({
        symbols: ['AAPL'],
        source: { type: 'store', path: 'typo/none.duckdb' },
        backtest: { start_date: '2025-07-02', end_date: '2025-07-02' },
      }),
    );
    const { code, stderr } = await run(['backtest', 'run', config]);
    expect(code).not.toBe(0);
    expect(stderr.text).toMatch(/no store at this path/);
    expect(stderr.text).not.toMatch(/unknown symbol/);
    expect(existsSync(join(tmp.dir, 'typo'))).toBe(false);
  });

  it('data list leaves a store file byte for byte as it was', async () => {
    const db = join(tmp.dir, 'ro.duckdb');
    expect((await run(['data', 'import', CSV, '--db', db])).code).toBe(0);
    const before = readFileSync(db);
    const list = await run(['data', 'list', '--db', db]);
    expect(list.code).toBe(0);
    expect(readFileSync(db).equals(before)).toBe(true);
  });
});

describe('item 12: a directory import tries every file and prints a table', () => {
  it('lists inserted / unchanged / refused per file, exits 1, and stores the good files', async () => {
    const dir = join(tmp.dir, 'mixed');
    mkdirSync(dir);
    const row = (v: string) => `timestamp,open,high,low,close,volume\n2025-07-02T13:30:00Z,10,11,9,10,${v}\n`;
    writeFileSync(join(dir, 'A_1.csv'), row('100'));
    writeFileSync(join(dir, 'B_1.csv'), row('x'));
    writeFileSync(join(dir, 'C_1.csv'), row('100'));
    const db = join(tmp.dir, 'mixed.duckdb');
    const { code, stdout, stderr } = await run(['data', 'import', dir, '--db', db]);
    expect(code).toBe(1);
    expect(stdout.text).toMatch(/A_1\.csv\s+imported\s+1\s+1/);
    expect(stdout.text).toMatch(/B_1\.csv\s+refused\s+0\s+0/);
    expect(stdout.text).toMatch(/C_1\.csv\s+imported\s+1\s+1/);
    expect(stderr.text).toContain('B_1.csv:2');
    expect(stderr.text).toContain('1 of 3 files refused');
    const list = await run(['data', 'list', '--db', db]);
    expect(list.stdout.text).toMatch(/^A\s/m);
    expect(list.stdout.text).toMatch(/^C\s/m);
    expect(list.stdout.text).not.toMatch(/^B\s/m);
  });
});

describe('item 13: data import --zone and --symbol', () => {
  it('reads naive New York times with --zone and names the symbol with --symbol', async () => {
    const file = join(tmp.dir, 'naive.csv');
    writeFileSync(file, 'timestamp,open,high,low,close,volume\n2025-07-02 09:30:00,10,11,9,10,100\n');
    const db = join(tmp.dir, 'zone.duckdb');
    const bare = await run(['data', 'import', file, '--db', db]);
    expect(bare.code).toBe(1);
    expect(bare.stderr.text).toMatch(/naive\.csv:1: .*`--symbol AAPL`/);
    const noZone = await run(['data', 'import', file, '--symbol', 'AAPL', '--db', db]);
    expect(noZone.code).toBe(1);
    expect(noZone.stderr.text).toMatch(/naive\.csv:2: .*`--zone America\/New_York`/);
    const { code } = await run([
      'data',
      'import',
      file,
      '--zone',
      'America/New_York',
      '--symbol',
      'AAPL',
      '--db',
      db,
    ]);
    expect(code).toBe(0);
    const list = await run(['data', 'list', '--db', db]);
    expect(list.stdout.text).toMatch(/AAPL\s+2025-07-02\s+2025-07-02\s+1\s+1/);
    const { BarStore } = await import('@sys/market-data/duckdb');
    const store = await BarStore.open(db, { readOnly: true });
    const bars = [];
    for await (const b of store.streamBars({ symbols: [], startDate: '2025-07-02', endDate: '2025-07-02' }))
      bars.push(b);
    await store.close();
    // 09:30 in New York on 2025-07-02 (EDT, UTC-4) is 13:30Z.
    expect(bars.map((b) => b.startMs)).toEqual([Date.UTC(2025, 6, 2, 13, 30)]);
  });

  it('refuses a bad zone or symbol as usage errors', async () => {
    const bad = await run([
      'data',
      'import',
      CSV,
      '--zone',
      'Mars/Olympus',
      '--db',
      join(tmp.dir, 'z2.duckdb'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.text).toMatch(/--zone unknown time zone "Mars\/Olympus"/);
    const sym = await run(['data', 'import', CSV, '--symbol', 'BRK B', '--db', join(tmp.dir, 'z3.duckdb')]);
    expect(sym.code).toBe(2);
    expect(sym.stderr.text).toMatch(/--symbol symbol "BRK B" is not valid/);
    expect(existsSync(join(tmp.dir, 'z3.duckdb'))).toBe(false);
  });
});

describe('item 22 and the new user items', () => {
  it('sys "system status" (one quoted argument) runs the command', async () => {
    const { code, stdout } = await run(['system status']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout.text)).toEqual({ state: 'stopped', session: null });
  });

  it('sys --version prints the version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const { code, stdout } = await run(['--version']);
    expect(code).toBe(0);
    expect(stdout.text).toBe(`sys ${pkg.version}\n`);
  });

  it('--pretty indents JSON when piped; with --compact it is a usage error', async () => {
    const { stdout } = await run(['system', 'status', '--pretty']);
    expect(stdout.text).toBe('{\n  "state": "stopped",\n  "session": null\n}\n');
    expect((await run(['system', 'status', '--pretty', '--compact'])).code).toBe(2);
  });

  it('backtest run --debug --out --gzip writes the debug state', async () => {
    const out = join(tmp.dir, 'debug.json.gz');
    const { code, stdout } = await run(['backtest', 'run', '-q', '--debug', '--out', out, '--gzip']);
    expect(code).toBe(0);
    expect(stdout.text).toBe('');
    const { gunzipSync } = await import('node:zlib');
    const state = JSON.parse(gunzipSync(readFileSync(out)).toString()) as Record<string, unknown>;
    const plain = JSON.parse((await run(['backtest', 'run', '-q'])).stdout.text) as Record<string, unknown>;
    expect(JSON.stringify(state).length).toBeGreaterThan(JSON.stringify(plain).length);
  });
});
