/**
 * The replay engine's per-minute path at 2,000 symbols: ingestMany(one minute's bars), foldDerived,
 * advanceTo(minute end), over SYNTHETIC bars (seed 1, 2025-07-07) made outside the timed region. Prints
 * bars/s (median of the runs) and bytes per stored 1m bar (sizeBytes, and heap with --expose-gc).
 *
 *   node --expose-gc --conditions=@sys/source --import tsx bench/minute-ingest.ts [other/src/index.ts …]
 *
 * Each extra argument is another copy of this package's entry (say, the last commit's), run interleaved
 * with this one in the same process so the machine's load falls on both alike. Environment: SYMBOLS
 * (2000), RUNS (7, after one warm-up), PARTS (any of i/f/a: ingestMany, foldDerived, advanceTo; all by
 * default), DAY=1 (one batch per symbol-day instead, the ceiling).
 */

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Bar } from '@sys/market-data';
import { syntheticDayBars, syntheticSymbols } from '@sys/market-data/synthetic';
import { MINUTE_MS, NyseCalendar } from '@sys/market-time';
import * as here from '../src/index.js';

type Mod = typeof here;
const SYMBOLS = Number(process.env.SYMBOLS ?? 2000);
const RUNS = Number(process.env.RUNS ?? 7);

const calendar = new NyseCalendar();
const window = calendar.session('2025-07-07');
if (window === null) throw new Error('2025-07-07 is a trading day');
const symbols = syntheticSymbols(SYMBOLS);
const all = [...syntheticDayBars('2025-07-07', symbols, { seed: 1, calendar })];
const minutes: { bars: Bar[]; endMs: number }[] = [];
for (const bar of all) {
  const last = minutes[minutes.length - 1];
  if (last !== undefined && last.endMs === bar.startMs + MINUTE_MS) last.bars.push(bar);
  else minutes.push({ bars: [bar], endMs: bar.startMs + MINUTE_MS });
}

function fresh(m: Mod) {
  const sd = new m.SessionData({ calendar });
  for (const s of symbols) sd.addSymbol(s);
  sd.startDay(window as NonNullable<typeof window>);
  return sd;
}

const bySymbol = new Map<string, Bar[]>(symbols.map((s) => [s, []]));
for (const bar of all) bySymbol.get(bar.symbol)?.push(bar);
function feedByDay(sd: ReturnType<typeof fresh>): void {
  for (const [name, bars] of bySymbol) {
    const s = sd.getSymbol(name);
    s?.ingestMany(bars);
    s?.foldDerived();
  }
  sd.advanceTo(minutes[minutes.length - 1]?.endMs ?? 0);
}

const PARTS = process.env.PARTS ?? 'ifa';
function feed(sd: ReturnType<typeof fresh>): void {
  const [i, f, a] = ['i', 'f', 'a'].map((p) => PARTS.includes(p));
  for (const m of minutes) {
    if (i) sd.ingestMany(m.bars);
    if (f) sd.foldDerived();
    if (a) sd.advanceTo(m.endMs);
  }
}

const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  const u = process.memoryUsage();
  return u.heapUsed + u.arrayBuffers;
};

const mods: [string, Mod][] = [['this', here]];
for (const p of process.argv.slice(2)) mods.push([p, (await import(pathToFileURL(resolve(p)).href)) as Mod]);
const times = mods.map(() => [] as number[]);
for (let run = 0; run < RUNS + 1; run++) {
  mods.forEach(([, m], k) => {
    const sd = fresh(m);
    gc?.();
    const t0 = performance.now();
    if (process.env.DAY) feedByDay(sd);
    else feed(sd);
    const ms = performance.now() - t0;
    if (run > 0) times[k]?.push(ms); // the first run warms up
  });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
mods.forEach(([name, m], k) => {
  const before = heap();
  const sd = fresh(m);
  feed(sd);
  const after = heap();
  let size = 0;
  for (const s of symbols) size += sd.getSymbol(s)?.sizeBytes ?? 0;
  const ms = median(times[k] as number[]);
  console.log(
    `${name}: ${(((all.length / ms) * 1000) / 1e6).toFixed(2)}M bars/s (median ${ms.toFixed(0)} ms of ${RUNS}; ${(times[k] as number[]).map((t) => t.toFixed(0)).join(' ')})` +
      ` · sizeBytes ${(size / all.length).toFixed(1)} B/bar` +
      (gc ? ` · heap ${((after - before) / all.length).toFixed(1)} B/bar` : ''),
  );
  if (sd.getSymbol(symbols[0] as string) === undefined) console.log('?');
});
