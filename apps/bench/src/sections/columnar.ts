import type { Json } from '@sys/core';
import type { Bar } from '@sys/market-data';
import { readCsvBars } from '@sys/market-data/csv';
import { samplePath } from '@sys/market-data/samples';
import { NyseCalendar } from '@sys/market-time';
import { SessionData } from '@sys/session-data';
import { BENCH_DATE, syntheticDay } from '../data.js';
import {
  atLeast,
  figure,
  measure,
  type Row,
  type SampleOptions,
  type SectionResult,
  timed,
  withRatios,
} from '../harness.js';

/** Sizes of section 4. */
export interface ColumnarSizes {
  /** Synthetic symbols (a full day each) serialised together. */
  readonly symbols: number;
  readonly timing: SampleOptions;
}

/** The full run. */
export const COLUMNAR_FULL: ColumnarSizes = {
  symbols: 100,
  timing: { minSamples: 15, timeMs: 500, warmup: 3 },
};

/** Quick mode. */
export const COLUMNAR_QUICK: ColumnarSizes = { symbols: 5, timing: { minSamples: 5, timeMs: 10, warmup: 1 } };

const AAPL_DAY = '2025-07-02';

interface Table {
  readonly columns: readonly string[];
  readonly data: readonly (readonly Json[])[];
}

/** The same rows as an array of objects keyed by column name: the layout the plan's format replaces. */
function asObjects(table: Table): Record<string, Json>[] {
  return table.data.map((row) => {
    const o: Record<string, Json> = {};
    table.columns.forEach((c, i) => {
      o[c] = row[i] as Json;
    });
    return o;
  });
}

/** `current_bars` of each symbol as SessionData shows it (debug), keyed by symbol. */
function currentBars(session: SessionData): Record<string, Record<string, Table>> {
  const json = session.toJson({ debug: true }) as unknown as {
    symbols: Record<string, { current_bars: Record<string, Table> }>;
  };
  const out: Record<string, Record<string, Table>> = {};
  for (const [s, v] of Object.entries(json.symbols)) out[s] = v.current_bars;
  return out;
}

function compareSet(
  rows: Row[],
  label: string,
  bars: Record<string, Record<string, Table>>,
  o: SampleOptions,
): void {
  // 1m only: the table the plan's "~50% smaller" claim is about.
  const col1m = Object.values(bars).map((b) => b['1m']);
  const obj1m = col1m.map((t) => asObjects(t as Table));
  // All five intervals, each with its contract (interval, label, columns…) as it goes on the wire.
  const colAll = bars;
  const objAll = Object.fromEntries(
    Object.entries(bars).map(([s, b]) => [
      s,
      Object.fromEntries(Object.entries(b).map(([iv, t]) => [iv, asObjects(t)])),
    ]),
  );
  for (const [scope, col, obj] of [
    ['1m', col1m, obj1m],
    ['all 5 intervals', colAll, objAll],
  ] as const) {
    const colText = JSON.stringify(col);
    const objText = JSON.stringify(obj);
    const base = `${label} · ${scope} · size · array of objects (baseline)`;
    const smaller = 1 - colText.length / objText.length;
    rows.push(
      figure(base, Buffer.byteLength(objText), 'bytes', 'lower'),
      figure(`${label} · ${scope} · size · columnar`, Buffer.byteLength(colText), 'bytes', 'lower', {
        baseline: base,
        goal: atLeast('≥ 45% smaller', smaller, 0.45),
        note: `${(smaller * 100).toFixed(1)}% smaller`,
      }),
    );
    if (scope === '1m') continue;
    const sBase = `${label} · ${scope} · JSON.stringify · array of objects (baseline)`;
    const pBase = `${label} · ${scope} · JSON.parse · array of objects (baseline)`;
    rows.push(
      timed(
        sBase,
        measure(sBase, () => JSON.stringify(obj), o),
      ),
      timed(
        `${label} · ${scope} · JSON.stringify · columnar`,
        measure('cs', () => JSON.stringify(col), o),
        {
          baseline: sBase,
        },
      ),
      timed(
        pBase,
        measure(pBase, () => JSON.parse(objText), o),
      ),
      timed(
        `${label} · ${scope} · JSON.parse · columnar`,
        measure('cp', () => JSON.parse(colText), o),
        {
          baseline: pBase,
        },
      ),
    );
  }
}

/** Section 4: the columnar bar tables against arrays of objects, for the same bars. */
export async function runColumnar(sizes: ColumnarSizes): Promise<SectionResult> {
  const rows: Row[] = [];
  const calendar = new NyseCalendar();
  const w = calendar.session(AAPL_DAY);
  if (w === null) throw new Error(`${AAPL_DAY} must be a trading day`);
  const aapl: Bar[] = [];
  for await (const bar of readCsvBars(samplePath(`AAPL_${AAPL_DAY}.csv`))) {
    if (bar.startMs >= w.preMarketStartMs && bar.startMs < w.postMarketEndMs) aapl.push(bar);
  }
  const real = new SessionData({ calendar });
  real.addSymbol('AAPL');
  real.startDay(w);
  real.ingestMany(aapl);
  real.foldDerived();
  real.advanceTo(w.postMarketEndMs);
  compareSet(rows, `AAPL ${AAPL_DAY} (real)`, currentBars(real), sizes.timing);

  const day = syntheticDay(sizes.symbols, calendar);
  const synthetic = new SessionData({ calendar });
  for (const s of day.symbols) synthetic.addSymbol(s);
  synthetic.startDay(day.window);
  synthetic.ingestMany(day.all);
  synthetic.foldDerived();
  synthetic.advanceTo(day.window.regularCloseMs);
  compareSet(
    rows,
    `${sizes.symbols} symbols ${BENCH_DATE} (synthetic)`,
    currentBars(synthetic),
    sizes.timing,
  );
  return {
    id: 4,
    title: 'Columnar versus array-of-objects JSON for the same bars',
    rows: withRatios(rows),
    notes: [
      `real: the bundled AAPL ${AAPL_DAY} sample (samplePath of @sys/market-data), regular-session bars as SessionData shows them; synthetic: seeded generator`,
      'columnar = current_bars exactly as toJson({ debug: true }) gives it (columns + data rows + the table contract); objects = the same rows keyed by column name',
      'sizes are compact JSON bytes; parse times parse the text of each layout',
    ],
  };
}
