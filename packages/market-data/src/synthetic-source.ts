import { type IsoDate, MINUTE_MS, NyseCalendar, parseIsoDate } from '@sys/market-time';
import type { Bar } from './bar.js';
import { SyntheticOptionsError } from './errors.js';
import { type BarQuery, type BarSource, resolveQuery } from './source.js';

/** Options of the synthetic generator. */
export interface SyntheticOptions {
  /** Symbol names, or how many to make up (`SYN001`, `SYN002`, …: names no exchange lists). */
  symbols: string[] | number;
  startDate: IsoDate;
  /** Inclusive. */
  endDate: IsoDate;
  /** Same seed, same bars. */
  seed: number;
  /** Probability that a minute has no bar (no trades), 0 to 1; default 0 in the regular session. */
  gapRate?: number;
  /** `regular` (default): 09:30–16:00. `extended`: 04:00–20:00, with thin, gappy pre- and post-market. */
  sessions?: 'regular' | 'extended';
  /** The trading calendar (default: a NyseCalendar). */
  calendar?: NyseCalendar;
}

/** Options of one synthetic day. */
export interface SyntheticDayOptions {
  seed: number;
  gapRate?: number;
  sessions?: 'regular' | 'extended';
  calendar?: NyseCalendar;
}

/** Names of `count` made-up symbols: `SYN001`, `SYN002`, … */
export function syntheticSymbols(count: number): string[] {
  const width = Math.max(3, String(count).length);
  return Array.from({ length: count }, (_, i) => `SYN${String(i + 1).padStart(width, '0')}`);
}

/** 32-bit hash of a string (FNV-1a then a murmur finaliser), to derive independent streams from a seed. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** sfc32: small, fast and good enough for test data; returns [0, 1). */
function prng(key: string): () => number {
  let a = hash32(`a${key}`);
  let b = hash32(`b${key}`);
  let c = hash32(`c${key}`);
  let d = 1;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

function normal(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Extended-hours minutes trade far less and more often not at all. */
const EXTENDED_VOLUME_SHARE = 0.03;
const EXTENDED_GAP_RATE = 0.3;
const MINUTE_VOLATILITY = 0.0007;

/**
 * One symbol's bars for one day as an array indexed by minute from the first minute of the window
 * (undefined where the minute has no bar). A pure function of (seed, symbol, date): a day does not depend
 * on which range it was asked in.
 */
function symbolDay(
  symbol: string,
  date: IsoDate,
  firstMs: number,
  minutes: number,
  regularFromMinute: number,
  regularMinutes: number,
  seed: number,
  gapRate: number,
): (Bar | undefined)[] {
  const base = prng(`${seed}|${symbol}`);
  const random = prng(`${seed}|${symbol}|${date}`);
  const basePriceCents = Math.round((20 + base() * 480) * 100);
  const baseVolume = 2_000 + Math.floor(base() * 50_000);
  let cents = Math.max(100, Math.round(basePriceCents * Math.exp(0.08 * normal(random))));
  const out: (Bar | undefined)[] = new Array(minutes);
  for (let m = 0; m < minutes; m++) {
    const r = m - regularFromMinute;
    const regular = r >= 0 && r < regularMinutes;
    const step = Math.round(cents * MINUTE_VOLATILITY * normal(random) * (regular ? 1 : 0.5));
    const openCents = cents;
    const closeCents = Math.max(1, cents + step);
    const highCents = Math.max(openCents, closeCents) + Math.round(Math.abs(normal(random)) * cents * 0.0003);
    const lowCents = Math.max(
      1,
      Math.min(openCents, closeCents) - Math.round(Math.abs(normal(random)) * cents * 0.0003),
    );
    cents = closeCents;
    const missing = random() < (regular ? gapRate : Math.max(gapRate, EXTENDED_GAP_RATE));
    // U-shaped: heavy at the open and the close, quiet at midday.
    const x = regular ? (r + 0.5) / regularMinutes : 0.5;
    const shape = regular
      ? 0.5 + 3 * (2 * x - 1) ** 2 + (r < 5 || r >= regularMinutes - 5 ? 2 : 0)
      : EXTENDED_VOLUME_SHARE;
    const volume = Math.max(1, Math.round(baseVolume * shape * Math.exp(0.4 * normal(random))));
    if (missing) continue;
    out[m] = {
      symbol,
      startMs: firstMs + m * MINUTE_MS,
      open: openCents / 100,
      high: highCents / 100,
      low: lowCents / 100,
      close: closeCents / 100,
      volume,
    };
  }
  return out;
}

/**
 * SYNTHETIC bars of one trading day for `symbols`, in time order and, within a minute, by symbol: the sync
 * fast path for benchmarks. Nothing on a closed day. Seeded random walk in whole cents, U-shaped volume.
 */
export function* syntheticDayBars(
  date: IsoDate,
  symbols: readonly string[],
  options: SyntheticDayOptions,
): Generator<Bar> {
  const calendar = options.calendar ?? new NyseCalendar();
  const session = calendar.session(date);
  if (session === null) return;
  const extended = options.sessions === 'extended';
  const firstMs = extended ? session.preMarketStartMs : session.regularOpenMs;
  const lastMs = extended ? session.postMarketEndMs : session.regularCloseMs;
  const minutes = Math.round((lastMs - firstMs) / MINUTE_MS);
  const regularFrom = Math.round((session.regularOpenMs - firstMs) / MINUTE_MS);
  const regularMinutes = Math.round((session.regularCloseMs - session.regularOpenMs) / MINUTE_MS);
  const sorted = [...symbols].sort();
  const days = sorted.map((symbol) =>
    symbolDay(
      symbol,
      date,
      firstMs,
      minutes,
      regularFrom,
      regularMinutes,
      options.seed,
      options.gapRate ?? 0,
    ),
  );
  for (let m = 0; m < minutes; m++) {
    for (const day of days) {
      const bar = day[m];
      if (bar !== undefined) yield bar;
    }
  }
}

function checkOptions(options: SyntheticOptions): void {
  const { symbols, gapRate = 0, seed } = options;
  if (typeof symbols === 'number' ? !(Number.isSafeInteger(symbols) && symbols > 0) : symbols.length === 0) {
    throw new SyntheticOptionsError(
      `symbols must be a positive count or a non-empty list, got ${JSON.stringify(symbols)}`,
    );
  }
  if (
    Array.isArray(symbols) &&
    (new Set(symbols).size !== symbols.length || symbols.some((s) => s.length === 0))
  ) {
    throw new SyntheticOptionsError('symbols must be distinct, non-empty names');
  }
  if (!(gapRate >= 0 && gapRate < 1))
    throw new SyntheticOptionsError(`gapRate must be in [0, 1), got ${gapRate}`);
  if (!Number.isFinite(seed)) throw new SyntheticOptionsError(`seed must be a finite number, got ${seed}`);
  if (parseIsoDate(options.startDate) > parseIsoDate(options.endDate)) {
    throw new SyntheticOptionsError(`startDate ${options.startDate} is after endDate ${options.endDate}`);
  }
}

/**
 * A SYNTHETIC bar source — made-up prices and volumes for benchmarks and scale tests, never real data (its
 * default symbols are named SYN…, and `synthetic` is true). Deterministic for a seed.
 */
export class SyntheticBarSource implements BarSource {
  /** Always true: this data is made up. */
  readonly synthetic = true as const;
  readonly #symbols: string[];
  readonly #options: SyntheticOptions;
  readonly #calendar: NyseCalendar;

  constructor(options: SyntheticOptions) {
    checkOptions(options);
    this.#symbols = (
      typeof options.symbols === 'number' ? syntheticSymbols(options.symbols) : [...options.symbols]
    ).sort();
    this.#options = { ...options };
    this.#calendar = options.calendar ?? new NyseCalendar();
  }

  /** The symbols it makes up bars for. */
  async listSymbols(): Promise<string[]> {
    return [...this.#symbols];
  }

  /** Bars of the query (within the source's own dates and symbols), in time order, then symbol. */
  async *streamBars(query: BarQuery): AsyncGenerator<Bar> {
    for await (const batch of this.streamBatches(query)) yield* batch;
  }

  /** The bars in batches of up to 8,192, generated as they are asked for (a day is never made in one go). */
  async *streamBatches(query: BarQuery): AsyncGenerator<readonly Bar[]> {
    resolveQuery(query);
    // ISO dates order as text; Math.max/min would turn them into NaN.
    const start = [query.startDate, this.#options.startDate].sort()[1] ?? query.startDate;
    const end = [query.endDate, this.#options.endDate].sort()[0] ?? query.endDate;
    if (start > end) return;
    const wanted = query.symbols.length === 0 ? null : new Set(query.symbols);
    const symbols = wanted === null ? this.#symbols : this.#symbols.filter((s) => wanted.has(s));
    if (symbols.length === 0) return;
    const day: SyntheticDayOptions = {
      seed: this.#options.seed,
      gapRate: this.#options.gapRate ?? 0,
      sessions: this.#options.sessions ?? 'regular',
      calendar: this.#calendar,
    };
    let batch: Bar[] = [];
    for (const date of this.#calendar.tradingDays(start, end)) {
      for (const bar of syntheticDayBars(date, symbols, day)) {
        batch.push(bar);
        if (batch.length === SYNTHETIC_BATCH) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length > 0) yield batch;
  }
}

/** Bars per batch: small enough that making one holds the event loop well under a millisecond or two. */
const SYNTHETIC_BATCH = 8192;
