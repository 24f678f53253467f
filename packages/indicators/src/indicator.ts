import type { Json } from '@sys/core';

/** One closed bar as an indicator reads it; a `Bar` of @sys/market-data is one. */
export interface OhlcvBar {
  /** Start of the bar's interval, epoch ms. */
  readonly startMs: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Shares traded. */
  readonly volume: number;
}

/** An indicator's value: one number, or one number per named output (`macd`, `signal`, `histogram`); null until ready. */
export type IndicatorValue = number | null | { readonly [output: string]: number | null };

/** What `toJson` shows: the value now and whether the warm-up is done. */
export type IndicatorJson = { readonly value: IndicatorValue; readonly ready: boolean };

/**
 * The base of every indicator: a state machine fed one closed bar at a time, O(1) per bar. Outputs are kept
 * as numbers in `out` (NaN until ready) so a reader in a hot loop allocates nothing; `value` and `toJson`
 * shape them for people.
 */
export abstract class Indicator {
  /** The indicator's name, e.g. `ema`. */
  abstract readonly name: string;
  /** Names of its outputs, e.g. `['value']` or `['macd', 'signal', 'histogram']`. */
  abstract readonly outputs: readonly string[];
  /** Bars needed before the first value (the warm-up length). */
  abstract readonly warmUpBars: number;
  /** The outputs now, in the order of `outputs`; NaN while not ready. */
  readonly out: Float64Array;
  /** Bars fed since construction (or `reset`). */
  count = 0;
  /** Start of the last bar fed, epoch ms; NaN before the first. */
  lastStartMs = Number.NaN;
  /** True once the warm-up is done and `out` holds values. */
  ready = false;

  constructor(outputs: number) {
    this.out = new Float64Array(outputs).fill(Number.NaN);
  }

  /** Feeds the next closed bar (bars must come in time order; a forming bar must never be fed). */
  update(bar: OhlcvBar): void {
    this.count++;
    this.lastStartMs = bar.startMs;
    this.step(bar);
  }

  /** The indicator's own step over one bar. */
  protected abstract step(bar: OhlcvBar): void;

  /** A new trading session starts: only session-anchored indicators (VWAP bands) react. */
  newSession(): void {}

  /** Back to the state before the first bar. */
  reset(): void {
    this.count = 0;
    this.lastStartMs = Number.NaN;
    this.ready = false;
    this.out.fill(Number.NaN);
    this.clear();
  }

  /** Clears the indicator's own state (for `reset`). */
  protected abstract clear(): void;

  /** The value now: a number (one output) or an object by output name; null parts until ready. */
  get value(): IndicatorValue {
    const names = this.outputs;
    if (names.length === 1) return this.ready ? (this.out[0] as number) : null;
    const v: Record<string, number | null> = {};
    for (let i = 0; i < names.length; i++)
      v[names[i] as string] = this.ready ? (this.out[i] as number) : null;
    return v;
  }

  /** `{ value, ready }`. */
  toJson(): IndicatorJson {
    return { value: this.value, ready: this.ready } satisfies Json;
  }
}
