// Throughput of CSV → store and store → iteration on SYNTHETIC bars (never real data).
// `pnpm bench` runs 10M bars; `pnpm bench -- --rows 200000` runs small. Everything goes to a temp dir
// that is removed at the end.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IsoDate, NyseCalendar } from '@sys/market-time';
import { readCsvBars, writeCsvBars } from '../src/csv.js';
import { BarStore } from '../src/duckdb.js';
import type { Bar } from '../src/index.js';
import { syntheticDayBars, syntheticSymbols } from '../src/synthetic.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} needs a positive integer`);
  return value;
}

const rows = flag('rows', 10_000_000);
const memoryAt = process.argv.indexOf('--memory-limit');
const memoryLimit = memoryAt >= 0 ? process.argv[memoryAt + 1] : undefined;
const REGULAR_MINUTES = 390;
const symbolCount = Math.min(100, Math.max(1, Math.ceil(rows / (REGULAR_MINUTES * 250))));
const symbols = syntheticSymbols(symbolCount);
const calendar = new NyseCalendar();

function* bars(): Generator<Bar> {
  let left = rows;
  let day: IsoDate = '2024-01-02';
  for (;;) {
    for (const bar of syntheticDayBars(day, symbols, { seed: 1, calendar })) {
      if (left-- <= 0) return;
      yield bar;
    }
    day = calendar.nextTradingDay(day);
  }
}

/** Samples RSS every 50 ms; `peak()` is the high-water mark since `reset()`. */
class RssSampler {
  #peak = 0;
  #heapPeak = 0;
  #start = 0;
  readonly #timer = setInterval(() => this.#sample(), 50);
  #sample(): void {
    const m = process.memoryUsage();
    this.#peak = Math.max(this.#peak, m.rss);
    this.#heapPeak = Math.max(this.#heapPeak, m.heapUsed);
  }
  reset(): void {
    this.#peak = 0;
    this.#heapPeak = 0;
    this.#start = process.memoryUsage().rss;
    this.#sample();
  }
  /** RSS when the phase began. */
  start(): number {
    return this.#start;
  }
  /** JS heap in use, high-water since `reset()`. */
  heapPeak(): number {
    return this.#heapPeak;
  }
  peak(): number {
    this.#sample();
    return this.#peak;
  }
  stop(): void {
    clearInterval(this.#timer);
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en-US')} rows/s`;

const dir = mkdtempSync(join(tmpdir(), 'sys-market-data-bench-'));
const rss = new RssSampler();
try {
  const csv = join(dir, 'synthetic.csv');
  let t = performance.now();
  const written = await writeCsvBars(csv, bars());
  const writeMs = performance.now() - t;
  console.log(
    `SYNTHETIC data: ${written.toLocaleString('en-US')} bars, ${symbolCount} symbols, CSV ${mb(statSync(csv).size)} ` +
      `(written in ${(writeMs / 1000).toFixed(1)} s)`,
  );

  // The reader alone: parse and validate every row, no store. Its memory must not grow with the file.
  rss.reset();
  t = performance.now();
  let parsed = 0;
  for await (const _bar of readCsvBars(csv)) parsed++;
  const readMs = performance.now() - t;
  const readPeak = rss.peak();
  const readStart = rss.start();
  const readHeap = rss.heapPeak();
  if (parsed !== written) throw new Error(`read ${parsed} of ${written}`);

  const store = await BarStore.open(
    join(dir, 'bench.duckdb'),
    memoryLimit === undefined ? {} : { memoryLimit },
  );
  rss.reset();
  t = performance.now();
  const report = await store.importFile(csv);
  const importMs = performance.now() - t;
  const importPeak = rss.peak();
  const importStart = rss.start();
  const importHeap = rss.heapPeak();
  if (report.inserted !== written) throw new Error(`imported ${report.inserted} of ${written}`);

  const coverage = await store.coverage();
  // ISO dates order as text.
  const first = coverage.map((c) => c.firstDay).sort()[0] ?? '2024-01-02';
  const last =
    coverage
      .map((c) => c.lastDay)
      .sort()
      .at(-1) ?? first;
  rss.reset();
  t = performance.now();
  let seen = 0;
  let volume = 0;
  for await (const bar of store.streamBars({ symbols: [], startDate: first, endDate: last })) {
    seen++;
    volume += bar.volume;
  }
  const iterateMs = performance.now() - t;
  const iteratePeak = rss.peak();
  const iterateStart = rss.start();
  const iterateHeap = rss.heapPeak();
  await store.close();
  if (seen !== written) throw new Error(`iterated ${seen} of ${written}`);

  const storeSize = statSync(join(dir, 'bench.duckdb')).size;
  const memory = (start: number, peak: number, heap: number) =>
    `RSS ${mb(start)} at start, high-water ${mb(peak)}; JS heap high-water ${mb(heap)}`;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(
    `CSV read only:     ${rate(parsed, readMs)} (${seconds(readMs)}; ${memory(readStart, readPeak, readHeap)})`,
  );
  console.log(
    `CSV → store:       ${rate(written, importMs)} (${seconds(importMs)}; ${memory(importStart, importPeak, importHeap)})`,
  );
  console.log(
    `store → iteration: ${rate(seen, iterateMs)} (${seconds(iterateMs)}; ${memory(iterateStart, iteratePeak, iterateHeap)})`,
  );
  console.log(`store file ${mb(storeSize)}; checksum Σvolume ${volume}`);
  console.log(
    JSON.stringify({
      rows: written,
      symbols: symbolCount,
      readRowsPerSec: Math.round((parsed / readMs) * 1000),
      readRssPeakBytes: readPeak,
      importRowsPerSec: Math.round((written / importMs) * 1000),
      importRssPeakBytes: importPeak,
      importHeapPeakBytes: importHeap,
      iterateRowsPerSec: Math.round((seen / iterateMs) * 1000),
      iterateRssPeakBytes: iteratePeak,
      iterateHeapPeakBytes: iterateHeap,
    }),
  );
} finally {
  rss.stop();
  rmSync(dir, { recursive: true, force: true });
}
