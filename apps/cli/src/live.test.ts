import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from '@sys/core';
import type { Bar } from '@sys/market-data';
import { BarStore } from '@sys/market-data/duckdb';
import { samplePath } from '@sys/market-data/samples';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, requireBuild, SYS, sys, sysEnv } from '../test/sys.js';

const dir = mkdtempSync(join(tmpdir(), 'sys-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(requireBuild);

const CSV = samplePath('AAPL_2025-07-02.csv');
/** The sample's row count, from its expected figures (every row is a bar of AAPL). */
const sourceRows = (
  JSON.parse(readFileSync(samplePath('expected/AAPL_2025-07-02.json'), 'utf8')) as { source_rows: number }
).source_rows;
type Obj = Record<string, Json>;
const o = (v: unknown): Obj => v as Obj;

function aaplOf(state: unknown): Obj {
  const { performance: _p, ...rest } = o(o(o(o(state).session_data).symbols).AAPL);
  return rest;
}

/** Starts `sys feed replay` in the background; resolves with its address once it listens. */
function startReplay(args: string[]): Promise<{ url: string; finished: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SYS, 'feed', 'replay', ...args, '--port', '0'], {
      env: sysEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const finished = new Promise<string>((done) => child.on('close', () => done(stderr)));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /at (ws:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m?.[1] !== undefined) resolve({ url: m[1], finished });
    });
    child.on('error', reject);
    child.on('close', (code) => reject(new Error(`feed replay exited ${code}: ${stderr}`)));
  });
}

async function storeBars(db: string): Promise<Bar[]> {
  const store = await BarStore.open(db);
  const bars: Bar[] = [];
  for await (const b of store.streamBars({ symbols: [], startDate: '2000-01-01', endDate: '2100-01-01' }))
    bars.push(b);
  await store.close();
  return bars;
}

describe('sys feed replay + sys system start live.json, end to end', () => {
  let backtest: Obj;
  beforeAll(async () => {
    const config = join(dir, 'backtest.json');
    writeFileSync(
      config,
      JSON.stringify({
        symbols: ['AAPL'],
        source: { type: 'csv', paths: [CSV] },
        backtest: { start_date: '2025-07-02', end_date: '2025-07-02' },
        sessions: 'extended',
      }),
    );
    const r = await sys(['backtest', 'run', config, '--compact']);
    expect(r.code).toBe(0);
    backtest = aaplOf(jsonLines(r.stdout)[0]);
  });

  it.each(['alpaca', 'polygon'])(
    'a %s feed of the stored day ends in the backtest state of that day',
    async (format) => {
      const replay = await startReplay([
        CSV,
        '--format',
        format,
        '--from',
        '2025-07-02',
        '--to',
        '2025-07-02',
        '--speed',
        'max',
      ]);
      const config = join(dir, `live-${format}.json`);
      writeFileSync(
        config,
        JSON.stringify({
          symbols: ['AAPL'],
          mode: 'live',
          clock: 'feed',
          sessions: 'extended',
          source: { type: format, url: replay.url, key: 'demo', secret: 'demo' },
        }),
      );
      const r = await sys(['system', 'start', config, '--compact']);
      expect(r.stderr).toMatch(new RegExp(`started live AAPL from the ${format} feed \\(feed clock\\)`));
      expect(r.code).toBe(0);
      const [state] = jsonLines(r.stdout);
      expect(aaplOf(state)).toEqual(backtest);
      expect(o(o(o(state).threads).stream_coordinator).feed).toMatchObject({ state: 'ended', malformed: 0 });
      expect(await replay.finished).toMatch(/replay finished: 639 minutes, 639 bars sent/);
    },
  );

  it('NDJSON on stdin is a live feed too: malformed lines are counted and skipped', async () => {
    const config = join(dir, 'live-stdin.json');
    writeFileSync(
      config,
      JSON.stringify({ symbols: ['AAPL'], mode: 'live', clock: 'feed', source: { type: 'ndjson' } }),
    );
    const lines = [
      '{"symbol":"AAPL","timestamp":"2025-07-02T13:30:00Z","open":1,"high":2,"low":0.5,"close":1.5,"volume":100}',
      'garbage',
      '{"symbol":"AAPL","timestamp":"2025-07-02T13:31:00Z","open":1.5,"high":2,"low":1,"close":1.75,"volume":50}',
    ];
    const r = await sys(['system', 'start', config, '--compact'], { input: `${lines.join('\n')}\n` });
    expect(r.code).toBe(0);
    const [state] = jsonLines(r.stdout);
    expect(aaplOf(state)).toMatchObject({ volume: 150, high: 2, low: 0.5 });
    expect(o(o(o(state).threads).stream_coordinator).feed).toMatchObject({ bars: 2, malformed: 1 });
  });
});

describe('data export → data import round-trips every bar bit for bit', () => {
  it.each(['csv', 'parquet'])('%s', async (format) => {
    const from = join(dir, `from-${format}.duckdb`);
    const to = join(dir, `to-${format}.duckdb`);
    const file = join(dir, `all.${format}`);
    expect((await sys(['data', 'import', CSV, '--db', from])).code).toBe(0);
    const exported = await sys(['data', 'export', 'all', '--format', format, '--out', file, '--db', from]);
    expect(exported.code).toBe(0);
    expect((await sys(['data', 'import', file, '--db', to])).code).toBe(0);
    const before = await storeBars(from);
    const after = await storeBars(to);
    expect(after.length).toBe(before.length);
    expect(after.length).toBeGreaterThan(800);
    for (let i = 0; i < before.length; i++) {
      const a = before[i] as Bar;
      const b = after[i] as Bar;
      for (const k of ['symbol', 'startMs', 'open', 'high', 'low', 'close', 'volume'] as const)
        expect(Object.is(a[k], b[k]), `bar ${i} ${k}: ${a[k]} vs ${b[k]}`).toBe(true);
    }
  });
});

describe('data quality', () => {
  it('lists exactly the holes a store was given', async () => {
    // A full regular day written here, minus 10:00–10:04 and 15:59, plus a pre-market bar and one at 03:00.
    const open = Date.parse('2025-07-02T13:30:00Z');
    const rows = ['timestamp,symbol,open,high,low,close,volume'];
    const at = (ms: number) => new Date(ms).toISOString();
    rows.push(`${at(Date.parse('2025-07-02T07:00:00Z'))},XYZ,1,1,1,1,1`); // 03:00 New York: outside
    rows.push(`${at(Date.parse('2025-07-02T12:00:00Z'))},XYZ,1,1,1,1,1`); // 08:00: pre-market
    for (let m = 0; m < 390; m++) {
      if ((m >= 30 && m < 35) || m === 389) continue;
      rows.push(`${at(open + m * 60_000)},XYZ,10,11,9,10,100`);
    }
    const csv = join(dir, 'holes.csv');
    writeFileSync(csv, `${rows.join('\n')}\n`);
    const db = join(dir, 'holes.duckdb');
    expect((await sys(['data', 'import', csv, '--db', db])).code).toBe(0);
    const r = await sys(['data', 'quality', 'XYZ', '--json', '--compact', '--db', db]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        symbol: 'XYZ',
        date: '2025-07-02',
        trading_day: true,
        expected: 390,
        present: 384,
        missing: [
          { start: '10:00', minutes: 5 },
          { start: '15:59', minutes: 1 },
        ],
        extended: 1,
        outside: 1,
        quality: Math.round((384 / 390) * 10_000) / 100,
      },
    ]);
    const table = await sys(['data', 'quality', '--db', db]);
    expect(table.stdout).toMatch(/XYZ\s+2025-07-02\s+390\s+384\s+98\.46%\s+1\s+1\s+10:00\+5 15:59\+1/);
  });
});

describe('bad input', () => {
  it('data delete off a terminal without --yes deletes nothing and says how to confirm', async () => {
    const db = join(dir, 'del.duckdb');
    await sys(['data', 'import', CSV, '--db', db]);
    const r = await sys(['data', 'delete', 'AAPL', '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`would delete ${sourceRows} bars of AAPL; not on a terminal, so add --yes`);
    expect((await storeBars(db)).length).toBe(sourceRows);
    const y = await sys([
      'data',
      'delete',
      'AAPL',
      '--from',
      '2025-07-02',
      '--to',
      '2025-07-02',
      '--yes',
      '--db',
      db,
    ]);
    expect(y.code).toBe(0);
    expect((await storeBars(db)).every((b) => b.startMs < Date.parse('2025-07-02T04:00:00Z'))).toBe(true);
  });

  it('bad dates and reversed ranges are usage errors', async () => {
    const r = await sys(['data', 'quality', '--from', '2025-02-30']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--from expects .*"2025-02-30"/);
    const t = await sys(['time', 'session', '2025-13-01']);
    expect(t.code).toBe(2);
    const rev = await sys([
      'data',
      'export',
      'all',
      '--from',
      '2025-07-02',
      '--to',
      '2025-07-01',
      '--out',
      join(dir, 'x.csv'),
    ]);
    expect(rev.code).toBe(2);
    expect(rev.stderr).toMatch(/--to 2025-07-01 is before --from 2025-07-02/);
  });

  it('an unknown feed type is a config error naming the field', async () => {
    const config = join(dir, 'bad-feed.json');
    writeFileSync(config, JSON.stringify({ symbols: ['AAPL'], mode: 'live', source: { type: 'kafka' } }));
    const r = await sys(['system', 'start', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/source\.type/);
  });

  it('an unreachable feed: retries with backoff, then a clear error', async () => {
    const config = join(dir, 'unreachable.json');
    writeFileSync(
      config,
      JSON.stringify({
        symbols: ['AAPL'],
        mode: 'live',
        source: { type: 'alpaca', url: 'ws://127.0.0.1:9', max_attempts: 2, backoff: { initial_ms: 10 } },
      }),
    );
    const r = await sys(['system', 'start', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ws:\/\/127\.0\.0\.1:9: gave up after 2 failed attempts: .*ECONNREFUSED/);
  });
});

describe('time', () => {
  it('time session: an early close and a holiday, in New York and UTC', async () => {
    const r = await sys(['time', 'session', '2025-11-28', '--compact']);
    expect(JSON.parse(r.stdout)).toMatchObject({
      trading_day: true,
      early_close: true,
      regular: {
        open: { new_york: '09:30', utc: '2025-11-28T14:30:00Z' },
        close: { new_york: '13:00', utc: '2025-11-28T18:00:00Z' },
      },
      post_market: { end: { new_york: '17:00' } },
      regular_minutes: 210,
    });
    const h = await sys(['time', 'session', '2025-01-09', '--compact']);
    expect(JSON.parse(h.stdout)).toMatchObject({ trading_day: false, next_trading_day: '2025-01-10' });
  });

  it('time status at a given instant (SYS_NOW_MS): open, and the next close today', async () => {
    const r = await sys(['time', 'status', '--compact'], {
      env: { SYS_NOW_MS: String(Date.parse('2025-07-03T16:00:00Z')) },
    });
    expect(JSON.parse(r.stdout)).toMatchObject({
      date: '2025-07-03',
      phase: 'open',
      open: true,
      next_close: { date: '2025-07-03', early_close: true, new_york: '13:00' },
      next_open: { date: '2025-07-07', new_york: '09:30' },
    });
  });
});
