import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { BarStore } from '@sys/market-data/duckdb';
import { ndjsonBatches, tcpChunks } from '@sys/market-data/live';
import { MINUTE_MS, NyseCalendar } from '@sys/market-time';
import { SessionData } from '@sys/session-data';
import { LiveRun } from '@sys/threads';
import { REGULAR_MINUTES } from '../data.js';
import {
  atLeast,
  atMost,
  figure,
  gc,
  measureAsync,
  type Row,
  type SectionResult,
  timed,
} from '../harness.js';

/** Sizes of section 12. */
export interface DataPathSizes {
  /** Symbols of the NDJSON day sent over TCP (× 390 regular minutes). */
  readonly tcpSymbols: number;
  readonly tcpSamples: number;
  /** Bars in the store that is exported to Parquet. */
  readonly exportBars: number;
  readonly exportSamples: number;
}

/** The full run: 2,000 symbols × 390 = 780,000 NDJSON bars; 10M stored bars exported. */
export const DATAPATH_FULL: DataPathSizes = {
  tcpSymbols: 2000,
  tcpSamples: 3,
  exportBars: 10_000_000,
  exportSamples: 2,
};
/** Quick mode. */
export const DATAPATH_QUICK: DataPathSizes = {
  tcpSymbols: 40,
  tcpSamples: 1,
  exportBars: 200_000,
  exportSamples: 1,
};

const DAY = '2025-07-02';

/** One regular day of NDJSON bars, minute by minute, every symbol each minute (made outside the timing). */
function ndjsonDay(symbols: number, openMs: number): Buffer {
  const parts: string[] = [];
  for (let m = 0; m < REGULAR_MINUTES; m++) {
    const t = openMs + m * MINUTE_MS;
    for (let s = 0; s < symbols; s++) {
      const p = 100 + ((s * 7 + m) % 50) / 10;
      parts.push(
        `{"symbol":"S${s}","start_ms":${t},"open":${p},"high":${p + 0.5},"low":${p - 0.5},"close":${p + 0.1},"volume":${100 + ((s + m) % 900)}}\n`,
      );
    }
  }
  return Buffer.from(parts.join(''));
}

async function serveOnce(data: Buffer): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.end(data));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0 };
}

/** The bytes in 64 KiB chunks, as a socket delivers them. */
async function* chunksOf(data: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += 1 << 16) yield data.subarray(i, i + (1 << 16));
}

/** Peak RSS growth while `fn` runs, sampled every 10 ms, bytes. */
async function peakRssGrowth<T>(fn: () => Promise<T>): Promise<{ value: T; peakBytes: number }> {
  gc();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, peakBytes: peak - base };
  } finally {
    clearInterval(timer);
  }
}

/** NDJSON `chunks` through a LiveRun into a new SessionData to the end: bars applied, lines malformed. */
async function liveDay(
  chunks: AsyncIterable<Buffer>,
  source: string,
  symbols: readonly string[],
  calendar: NyseCalendar,
): Promise<{ applied: number; malformed: number }> {
  const sessionData = new SessionData({ calendar });
  const status = { source, lines: 0, bars: 0, malformed: 0, lastMalformed: null };
  const run = new LiveRun({
    symbols,
    sessionData,
    calendar,
    feed: ndjsonBatches(chunks, status),
    followFeed: true,
    daemon: true,
  });
  run.start();
  await run.join();
  return { applied: run.progress().barsApplied, malformed: status.malformed };
}

/** Section 12: the data path at both ends — live NDJSON over TCP into session state, and store → Parquet. */
export async function runDataPath(sizes: DataPathSizes): Promise<SectionResult> {
  const calendar = new NyseCalendar();
  const w = calendar.session(DAY);
  if (w === null) throw new Error(`${DAY} is a trading day`);
  const symbols = Array.from({ length: sizes.tcpSymbols }, (_, i) => `S${i}`);
  const data = ndjsonDay(sizes.tcpSymbols, w.regularOpenMs);
  const bars = sizes.tcpSymbols * REGULAR_MINUTES;
  const { server, port } = await serveOnce(data);
  const tcp = await measureAsync(
    async () => {
      const { applied, malformed } = await liveDay(tcpChunks('127.0.0.1', port), 'tcp', symbols, calendar);
      if (malformed > 0 || applied !== bars) throw new Error(`applied ${applied} of ${bars} bars`);
    },
    { samples: sizes.tcpSamples, warmup: 1 },
  );
  server.close();
  const tcpRate = bars / (tcp.median / 1000);
  // The same lines without a socket: the parse + apply ceiling the TCP row is compared with.
  const local = await measureAsync(
    async () => {
      await liveDay(chunksOf(data), 'mem', symbols, calendar);
    },
    { samples: sizes.tcpSamples, warmup: 1 },
  );

  // A store of `exportBars` bars: 2,000 symbols a minute over as many regular minutes as that takes.
  const dir = mkdtempSync(join(tmpdir(), 'sys-bench-export-'));
  const db = join(dir, 'bars.duckdb');
  try {
    const made = await BarStore.open(db);
    await made.close();
    const instance = await DuckDBInstance.create(db);
    const c = await instance.connect();
    const perMinute = Math.min(2000, sizes.exportBars);
    await c.run(`INSERT INTO bars
      SELECT 'S' || (i % ${perMinute}), DATE '${DAY}', ${w.regularOpenMs} + (i // ${perMinute}) * 60000,
        100 + (i % 97) / 10, 101 + (i % 97) / 10, 99 + (i % 97) / 10, 100.5 + (i % 97) / 10, 100 + i % 1000
      FROM range(${sizes.exportBars}) t(i)`);
    c.closeSync();
    instance.closeSync();
    const out = join(dir, 'out.parquet');
    let peakBytes = 0;
    let written = 0;
    const exp = await measureAsync(
      async () => {
        const store = await BarStore.open(db, { readOnly: true, create: false });
        try {
          const r = await peakRssGrowth(() =>
            store.exportBars(out, { symbols: [], startDate: DAY, endDate: DAY }, 'parquet'),
          );
          written = r.value;
          peakBytes = Math.max(peakBytes, r.peakBytes);
        } finally {
          await store.close();
        }
      },
      { samples: sizes.exportSamples, warmup: 0 },
    );
    if (written !== sizes.exportBars) throw new Error(`exported ${written} of ${sizes.exportBars} bars`);
    const exportRate = sizes.exportBars / (exp.median / 1000);
    const rows: Row[] = [
      timed(`NDJSON over TCP → live session, ${bars.toLocaleString('en-US')} bars (wall ms)`, tcp),
      figure('NDJSON over TCP → live session: bars/s', tcpRate, 'bars/s', 'higher', {
        goal: atLeast('≥ 500,000 bars/s', tcpRate, 500_000),
      }),
      figure(
        'NDJSON from memory → live session: bars/s (no socket)',
        bars / (local.median / 1000),
        'bars/s',
        'higher',
      ),
      timed(`store → Parquet, ${sizes.exportBars.toLocaleString('en-US')} bars (wall ms)`, exp),
      figure('store → Parquet: bars/s', exportRate, 'bars/s', 'higher', {
        goal: atLeast('≥ 2,000,000 bars/s', exportRate, 2_000_000),
      }),
      figure('store → Parquet: peak RSS growth', peakBytes, 'bytes', 'lower', {
        goal: atMost('< 300 MB', peakBytes, 300 * 1024 * 1024),
      }),
      figure('store → Parquet: file size per bar', statSync(out).size / sizes.exportBars, 'B/bar', 'lower'),
    ];
    return {
      id: 12,
      title: 'The data path at both ends: live NDJSON over TCP into session state; store export to Parquet',
      rows,
      notes: [
        `TCP: a server on 127.0.0.1 sends one regular day of ${sizes.tcpSymbols} symbols (${bars.toLocaleString('en-US')} NDJSON lines, made before the timing) and closes; a LiveRun that follows the feed's clock reads it through tcpChunks → ndjsonBatches (every line parsed and validated) and is timed from start to the end of the day, ${sizes.tcpSamples} sample(s) after a warm-up`,
        'the "from memory" row reads the same bytes with no socket: the TCP row over it is what the socket costs',
        `export: a store filled by SQL with ${sizes.exportBars.toLocaleString('en-US')} bars of one day (${Math.min(2000, sizes.exportBars)} symbols a minute; filling is outside the timing), opened read-only; BarStore.exportBars to Parquet (zstd, ordered by time then symbol) under the 160 MB DuckDB memory limit exportBars sets for its sort (it spills); RSS sampled every 10 ms, growth over the RSS before the export`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
