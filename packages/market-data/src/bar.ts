import { SysError } from '@sys/core';
import { CALENDAR_FIRST_YEAR, CALENDAR_LAST_YEAR, nyMidnightMs } from '@sys/market-time';
import { isSymbol, symbolProblem } from './symbol.js';
/** One one-minute bar: the minute starting at `startMs` (epoch ms, UTC), covering [startMs, startMs + 60 s). */
export interface Bar {
  readonly symbol: string;
  readonly startMs: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Shares traded, an integer. */
  readonly volume: number;
}

const MINUTE_MS = 60_000;

/**
 * Smallest price a bar may carry. With MAX_PRICE it keeps every derived figure finite: a ratio of two prices
 * stays below 1e15, and a day's Σ(typical·volume) far below Number.MAX_VALUE.
 */
export const MIN_PRICE = 1e-6;
/** Largest price a bar may carry (a billion per share; the dearest share ever quoted is below a million). */
export const MAX_PRICE = 1e9;
/**
 * Largest volume of one one-minute bar (ten billion shares): 250 days of 960 extended minutes at this bound
 * sum to 2.4e15 shares, still an exact integer (below 2^53), so every volume figure stays whole and exact.
 */
export const MAX_VOLUME = 1e10;
/** First instant a bar may start: New York midnight opening the calendar's first year. */
export const MIN_BAR_START_MS = nyMidnightMs(`${CALENDAR_FIRST_YEAR}-01-01`);
/** First instant after the calendar's last year, in New York: a bar must start before it. */
export const END_BAR_START_MS = nyMidnightMs(`${CALENDAR_LAST_YEAR}-12-31`) + 86_400_000;

/** A bar that breaks one of the rules of `validateBar`; `where` is file:line or SYMBOL@ISO-time. */
export class BarValidationError extends SysError {
  /** The bar's source: file:line, or SYMBOL@ISO-time when there is no file. */
  readonly where: string;
  /** The rule broken, e.g. `high >= low`. */
  readonly rule: string;
  /** What is wrong, without the location. */
  readonly reason: string;

  constructor(where: string, rule: string, detail: string) {
    const reason = `bar breaks rule "${rule}": ${detail}`;
    super('BAR_INVALID', `${where}: ${reason}; fix or drop the row at its source`);
    this.where = where;
    this.rule = rule;
    this.reason = reason;
  }
}

/** `SYMBOL@ISO-time`: how a bar is named when it has no file and line. */
export function barLabel(symbol: string, startMs: number): string {
  const iso = Number.isFinite(startMs) ? new Date(startMs).toISOString() : String(startMs);
  return `${symbol}@${iso}`;
}

/** A broken rule: its name and what is wrong. */
export type BarProblem = readonly [rule: string, detail: string];

/**
 * The rules of `validateBar` without the throw: the first rule `bar` breaks, or undefined. Readers call it
 * per row and build the location only when a row fails.
 */
export function barProblem(bar: Bar, previousStartMs?: number): BarProblem | undefined {
  const { symbol, startMs, open, high, low, close, volume } = bar;
  // Fast accept: one chain of comparisons that is false for NaN, so a good bar costs a few nanoseconds
  // (ingest runs this per bar). Anything it does not accept goes through the rules below to be named.
  if (
    low >= MIN_PRICE &&
    low <= open &&
    open <= high &&
    low <= close &&
    close <= high &&
    high <= MAX_PRICE &&
    volume >= 0 &&
    volume <= MAX_VOLUME &&
    Math.floor(volume) === volume &&
    startMs >= MIN_BAR_START_MS &&
    startMs < END_BAR_START_MS &&
    Math.floor(startMs / MINUTE_MS) * MINUTE_MS === startMs &&
    // A previous start means this symbol's earlier bar passed, name included: the rule is checked once.
    (previousStartMs === undefined ? isSymbol(symbol) : startMs > previousStartMs)
  ) {
    return undefined;
  }
  const badSymbol = previousStartMs === undefined ? symbolProblem(symbol) : undefined;
  if (badSymbol !== undefined) return ['symbol rule', badSymbol];
  if (!(Number.isFinite(open) && Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close))) {
    return ['finite prices', `open ${open}, high ${high}, low ${low}, close ${close}`];
  }
  if (!(open > 0 && high > 0 && low > 0 && close > 0)) {
    return ['prices > 0', `open ${open}, high ${high}, low ${low}, close ${close}`];
  }
  if (!(low >= MIN_PRICE && high <= MAX_PRICE)) {
    return [
      `${MIN_PRICE} <= prices <= ${MAX_PRICE}`,
      `open ${open}, high ${high}, low ${low}, close ${close} (bounded so every derived figure stays finite)`,
    ];
  }
  if (!(low <= high)) return ['low <= high', `high ${high} is below low ${low}`];
  if (!(low <= open && open <= high))
    return ['low <= open <= high', `open ${open} is outside [${low}, ${high}]`];
  if (!(low <= close && close <= high))
    return ['low <= close <= high', `close ${close} is outside [${low}, ${high}]`];
  if (!(Number.isSafeInteger(volume) && volume >= 0)) {
    return ['integer volume >= 0', `volume ${volume} is not a whole number of shares >= 0`];
  }
  if (volume > MAX_VOLUME) {
    return [`volume <= ${MAX_VOLUME}`, `volume ${volume} is above ${MAX_VOLUME} shares in one minute`];
  }
  if (!Number.isSafeInteger(startMs) || startMs % MINUTE_MS !== 0) {
    return ['start on a whole minute', `start ${describeMs(startMs)} is not on a minute boundary`];
  }
  if (!(startMs >= MIN_BAR_START_MS && startMs < END_BAR_START_MS)) {
    return [
      `start in ${CALENDAR_FIRST_YEAR}-${CALENDAR_LAST_YEAR}`,
      `start ${describeMs(startMs)} is outside the calendar (New York dates ${CALENDAR_FIRST_YEAR}-01-01 to ${CALENDAR_LAST_YEAR}-12-31)`,
    ];
  }
  if (previousStartMs !== undefined && !(startMs > previousStartMs)) {
    return [
      'times strictly increasing',
      startMs === previousStartMs
        ? `${barLabel(symbol, startMs)} appears twice (duplicate row)`
        : `${barLabel(symbol, startMs)} comes after ${barLabel(symbol, previousStartMs)} (rows out of order)`,
    ];
  }
  return undefined;
}

/**
 * The one validation of a bar, used by every source and the store: a symbol that follows the symbol rule,
 * prices in [MIN_PRICE, MAX_PRICE], low <= open, close <= high, an integer volume in [0, MAX_VOLUME], a start
 * on a whole minute inside the calendar's years (2000-2100, New York) and, when
 * `previousStartMs` is given (the same symbol's last bar), a start after it. Returns the bar unchanged;
 * throws BarValidationError naming `where` and the rule.
 */
export function validateBar(bar: Bar, where: string, previousStartMs?: number): Bar {
  const problem = barProblem(bar, previousStartMs);
  if (problem !== undefined) throw new BarValidationError(where, problem[0], problem[1]);
  return bar;
}

function describeMs(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15
    ? `${new Date(ms).toISOString()} (${ms} ms)`
    : String(ms);
}

/** Applies `validateBar` to a stream, remembering each symbol's last start so times strictly increase per symbol. */
export class BarSequenceValidator {
  readonly #lastStartMs = new Map<string, number>();

  /** Validates `bar` against the rules and the same symbol's previous bar; returns it unchanged. */
  check(bar: Bar, where: string): Bar {
    validateBar(bar, where, this.#lastStartMs.get(bar.symbol));
    this.#lastStartMs.set(bar.symbol, bar.startMs);
    return bar;
  }

  /** Like `check` with `where` = `${prefix}${line}`, built only if the bar fails (readers call this per row). */
  checkAt(bar: Bar, prefix: string, line: number): Bar {
    const problem = barProblem(bar, this.#lastStartMs.get(bar.symbol));
    if (problem !== undefined) throw new BarValidationError(`${prefix}${line}`, problem[0], problem[1]);
    this.#lastStartMs.set(bar.symbol, bar.startMs);
    return bar;
  }

  /** Start of the last accepted bar of `symbol`, if any. */
  lastStartMs(symbol: string): number | undefined {
    return this.#lastStartMs.get(symbol);
  }
}
