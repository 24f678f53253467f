import { Bench } from 'tinybench';

/** What a row's number counts; decides formatting and the word for its ratio. */
export type Unit = 'ms' | 'ns/bar' | 'bytes' | 'bars/s' | 'B/bar' | 'ratio' | 'count';

/** Which direction of a number is the good one. */
export type Better = 'lower' | 'higher';

/** A goal from the issue, already judged against the row's median. */
export interface GoalResult {
  /** As written in the issue, e.g. `< 1 ms`. */
  readonly text: string;
  readonly pass: boolean;
}

/** One line of a section's table (and of the results JSON). */
export interface Row {
  readonly name: string;
  readonly unit: Unit;
  readonly better: Better;
  readonly median: number;
  /** 95th percentile of the samples; null for a single figure (a size, a count). */
  readonly p95: number | null;
  readonly samples: number;
  /** Name of the row this one is compared with (same section, same run). */
  readonly baseline?: string;
  /** This row's median ÷ the baseline's median. */
  readonly ratio?: number;
  readonly goal?: GoalResult;
  readonly note?: string;
}

/** One section of the bench: a title, its rows and what the reader must know to read them. */
export interface SectionResult {
  readonly id: number;
  readonly title: string;
  readonly rows: Row[];
  readonly notes: string[];
}

/** A timing: median and p95 over the samples, in ms. */
export interface Timing {
  readonly median: number;
  readonly p95: number;
  readonly samples: number;
}

/** How long and how often to sample one case. */
export interface SampleOptions {
  /** Least number of timed samples. */
  readonly minSamples: number;
  /** Keep sampling until this much time was spent (and minSamples taken). */
  readonly timeMs: number;
  /** Untimed runs first, so the JIT has compiled the path. */
  readonly warmup: number;
  /** Runs before every sample, outside the timed window (advance a state, reset a tracker). */
  readonly beforeEach?: () => void;
  /** Runs after every sample, outside the timed window (look at what the sample produced). */
  readonly afterEach?: () => void;
}

/** Forces a full collection when node runs with --expose-gc (the bench script does; vitest does not). */
export function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect !== undefined) {
    collect();
    collect();
  }
}

/** True when heap figures are trustworthy (a forced GC is available). */
export function canMeasureHeap(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

/** Bytes in use now after a full GC: JS heap plus ArrayBuffers (typed-array columns live there). */
export function heapBytes(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Heap growth (heapUsed + arrayBuffers, after full GCs) from making a value that is still alive at the end. */
export function heapGrowth(make: () => unknown): number {
  const before = heapBytes();
  const value = make();
  const after = heapBytes();
  // Touch the value after the second reading so it cannot be collected before it.
  return value === heapGrowth ? 0 : after - before;
}

/** Value at quantile q (0..1) of sorted samples, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

/** Median and p95 of raw samples. */
export function summarize(samples: readonly number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), samples: sorted.length };
}

/**
 * Times a synchronous function with tinybench (warm-up, then samples until both the count and the time
 * budget are met), after a full GC so garbage of the previous case is not billed to this one.
 */
export function measure(name: string, fn: () => unknown, options: SampleOptions): Timing {
  gc();
  const bench = new Bench({
    iterations: options.minSamples,
    time: options.timeMs,
    warmup: options.warmup > 0,
    warmupIterations: options.warmup,
    warmupTime: 0,
    retainSamples: true,
    throws: true,
  });
  const hooks: { beforeEach?: () => void; afterEach?: () => void } = {};
  if (options.beforeEach !== undefined) hooks.beforeEach = options.beforeEach;
  if (options.afterEach !== undefined) hooks.afterEach = options.afterEach;
  bench.add(name, fn, hooks);
  const [task] = bench.runSync();
  const result = task?.result;
  if (result === undefined || !('latency' in result)) {
    throw new Error(`benchmark ${name} did not complete (${result?.state ?? 'no result'})`);
  }
  const samples = result.latency.samples;
  if (samples === undefined) throw new Error(`benchmark ${name} kept no samples`);
  return summarize(samples);
}

/** Times an async function by hand (tinybench's async path adds a microtask per sample). */
export async function measureAsync(
  fn: () => Promise<unknown>,
  options: { samples: number; warmup: number },
): Promise<Timing> {
  for (let i = 0; i < options.warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < options.samples; i++) {
    gc();
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
}

/** A row from a timing. */
export function timed(name: string, t: Timing, extra: Partial<Row> = {}): Row {
  return { name, unit: 'ms', better: 'lower', median: t.median, p95: t.p95, samples: t.samples, ...extra };
}

/** A row for a single figure (size, count, rate computed once). */
export function figure(
  name: string,
  value: number,
  unit: Unit,
  better: Better,
  extra: Partial<Row> = {},
): Row {
  return { name, unit, better, median: value, p95: null, samples: 1, ...extra };
}

/** Goal: the median must be below `limit` (strictly, as the issue writes `<`). */
export function below(text: string, value: number, limit: number): GoalResult {
  return { text, pass: value < limit };
}

/** Goal: the median must be at most `limit`. */
export function atMost(text: string, value: number, limit: number): GoalResult {
  return { text, pass: value <= limit };
}

/** Goal: the median must be at least `limit`. */
export function atLeast(text: string, value: number, limit: number): GoalResult {
  return { text, pass: value >= limit };
}

/** Both goals must pass; the text joins them. */
export function both(a: GoalResult, b: GoalResult): GoalResult {
  return { text: `${a.text} and ${b.text}`, pass: a.pass && b.pass };
}

/**
 * Fills `ratio` of every row that names a baseline, from the baseline row's median. A row whose baseline is
 * missing keeps no ratio (a section that skipped its baseline says so in its notes).
 */
export function withRatios(rows: Row[]): Row[] {
  const byName = new Map(rows.map((r) => [r.name, r]));
  return rows.map((r) => {
    if (r.baseline === undefined || r.ratio !== undefined) return r;
    const base = byName.get(r.baseline);
    if (base === undefined || base.median === 0) return r;
    return { ...r, ratio: r.median / base.median };
  });
}

// ---------------------------------------------------------------------------------------------- formatting

function sig(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 10 ** digits) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(digits);
}

/** A number with its unit, scaled for reading. */
export function formatValue(value: number | null, unit: Unit): string {
  if (value === null) return '—';
  switch (unit) {
    case 'ms':
      return value >= 1000 ? `${sig(value / 1000)} s` : `${sig(value)} ms`;
    case 'ns/bar':
      return `${sig(value)} ns/bar`;
    case 'bytes':
      if (value >= 1024 * 1024) return `${sig(value / 1024 / 1024)} MiB`;
      if (value >= 1024) return `${sig(value / 1024)} KiB`;
      return `${Math.round(value)} B`;
    case 'bars/s':
      return value >= 1e6 ? `${sig(value / 1e6)}M bars/s` : `${sig(value / 1e3)}k bars/s`;
    case 'B/bar':
      return `${value.toFixed(1)} B/bar`;
    case 'ratio':
      return `${sig(value)}×`;
    case 'count':
      return Math.round(value).toLocaleString('en-US');
  }
}

const WORDS: Record<Unit, [better: string, worse: string]> = {
  ms: ['faster', 'slower'],
  'ns/bar': ['faster', 'slower'],
  bytes: ['smaller', 'larger'],
  'B/bar': ['smaller', 'larger'],
  'bars/s': ['faster', 'slower'],
  ratio: ['better', 'worse'],
  count: ['fewer', 'more'],
};

/** `12× faster`, `1.3× larger`, … from this/baseline and which way is better. */
export function formatRatio(row: Row): string {
  if (row.ratio === undefined) return row.baseline === undefined ? '' : 'n/a';
  const r = row.ratio;
  if (r === 0) return 'none vs some';
  if (!Number.isFinite(r) || r < 0) return String(r);
  const [good, bad] = WORDS[row.unit];
  const improves = row.better === 'lower' ? r < 1 : r > 1;
  const factor = r >= 1 ? r : 1 / r;
  if (Math.abs(factor - 1) < 0.005) return '1.00× (same)';
  return `${sig(factor)}× ${improves ? good : bad}`;
}

/** The table of one section, as aligned text. */
export function formatSection(section: SectionResult): string {
  const header = ['name', 'median', 'p95', 'vs baseline', 'goal', 'result'];
  const lines = section.rows.map((r) => [
    r.name,
    formatValue(r.median, r.unit),
    formatValue(r.p95, r.unit),
    formatRatio(r),
    r.goal?.text ?? '',
    r.goal === undefined ? '' : r.goal.pass ? 'PASS' : 'MISS',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 || i >= 3 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const out = [
    `\n## ${section.id}. ${section.title}`,
    fmt(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
  ];
  for (const l of lines) out.push(fmt(l));
  for (const r of section.rows) if (r.note !== undefined) out.push(`  · ${r.name}: ${r.note}`);
  for (const n of section.notes) out.push(`  · ${n}`);
  return out.join('\n');
}
