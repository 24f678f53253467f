/**
 * Delta cost on a 1,000-symbol debug state shaped like the system's JSON layout, 1% of symbols changing per
 * tick: DiffTracker against the plan's approach (deep copy + deep-object-diff of the whole state), same
 * run. Synthetic data (seeded); numbers are for the closing note, not assertions.
 * Run: pnpm --filter @sys/diff-tracker bench [-- --symbols 1000 --ticks 200]
 */
import { diff as deepObjectDiff } from 'deep-object-diff';
import { DiffTracker, type Json } from '../src/index.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const SYMBOLS = arg('symbols', 1000);
const TICKS = arg('ticks', 200);
const CHANGE = arg('change', 0.01);
const ROWS_1M = 200;

let seed = 42;
const rand = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const COLUMNS = Object.freeze(['timestamp', 'open', 'high', 'low', 'close', 'volume']);
const INTERVALS: [string, number][] = [
  ['1m', 1],
  ['5m', 5],
  ['15m', 15],
  ['30m', 30],
  ['1h', 60],
];
const row = (minute: number): Json =>
  Object.freeze([
    `${String(9 + Math.floor((30 + minute) / 60)).padStart(2, '0')}:${String((30 + minute) % 60).padStart(2, '0')}:00`,
    100 + rand(),
    101,
    99,
    100.5,
    Math.floor(rand() * 1e5),
  ]);

interface Sym {
  minute: number;
  tables: Record<string, Json[]>;
  json: Json;
}
function symbolJson(name: string, s: Sym): Json {
  const bars: Record<string, Json> = {};
  for (const [iv] of INTERVALS)
    bars[iv] = Object.freeze({ columns: COLUMNS, data: Object.freeze((s.tables[iv] as Json[]).slice()) });
  return Object.freeze({
    symbol: name,
    volume: s.minute * 1000,
    high: 101,
    low: 99,
    vwap: 100 + rand(),
    bar_counts: Object.freeze(
      Object.fromEntries(INTERVALS.map(([iv]) => [iv, (s.tables[iv] as Json[]).length])),
    ),
    bar_quality: 100,
    bars_updated: 0,
    time_range: Object.freeze({ first_bar: '09:30:00', last_bar: '12:49:00' }),
    current_bars: Object.freeze(bars),
  });
}
const syms = new Map<string, Sym>();
for (let i = 0; i < SYMBOLS; i++) {
  const s: Sym = { minute: ROWS_1M, tables: {}, json: null };
  for (const [iv, m] of INTERVALS)
    s.tables[iv] = Array.from({ length: Math.ceil(ROWS_1M / m) }, (_, k) => row(k * m));
  s.json = symbolJson(`S${i}`, s);
  syms.set(`S${i}`, s);
}
let symbolsObj: Record<string, Json> = Object.fromEntries([...syms].map(([k, s]) => [k, s.json]));
const stateNow = (): Json =>
  Object.freeze({ session_data: Object.freeze({ symbols: Object.freeze({ ...symbolsObj }) }) });
let state = stateNow();

function tick(): void {
  const n = Math.max(1, Math.round(SYMBOLS * CHANGE));
  for (let j = 0; j < n; j++) {
    const name = `S${Math.floor(rand() * SYMBOLS)}`;
    const s = syms.get(name) as Sym;
    s.minute++;
    for (const [iv, m] of INTERVALS) if (s.minute % m === 0) (s.tables[iv] as Json[]).push(row(s.minute));
    s.json = symbolJson(name, s);
    symbolsObj[name] = s.json;
  }
  symbolsObj = { ...symbolsObj };
  state = stateNow();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const tracker = new DiffTracker();
tracker.commit(state);
const ours: number[] = [];
const unchanged: number[] = [];
const plan: number[] = [];
let planPrev: unknown = structuredClone(state);
let opsTotal = 0;
for (let t = 0; t < TICKS; t++) {
  tick();
  let t0 = performance.now();
  const r = tracker.commit(state);
  ours.push(performance.now() - t0);
  opsTotal += r.ops.length;
  t0 = performance.now();
  tracker.commit(state);
  unchanged.push(performance.now() - t0);
  if (t < 20) {
    // The plan: keep a deep copy of the whole state and deep-object-diff it every call.
    t0 = performance.now();
    deepObjectDiff(planPrev as object, state as object);
    planPrev = structuredClone(state);
    plan.push(performance.now() - t0);
  }
}
const m = median(ours);
const p = median(plan);
console.log(
  `state: ${SYMBOLS} symbols × 5 intervals (${ROWS_1M} 1m rows each), ${CHANGE * 100}% changing per tick, ${TICKS} ticks`,
);
console.log(
  `DiffTracker delta:        ${m.toFixed(4)} ms median (${(opsTotal / TICKS).toFixed(1)} ops/tick)`,
);
console.log(`DiffTracker unchanged:    ${median(unchanged).toFixed(5)} ms median`);
console.log(`plan (copy + deep diff):  ${p.toFixed(1)} ms median (20 ticks)`);
console.log(`ratio:                    ${(p / m).toFixed(0)}× faster`);
