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
 * One indicator's step over a closed bar, on its state at `state[at …]`: the caller has already counted the
 * bar (`state[at + STATE_COUNT]`) and stored its start (`state[at + STATE_LAST_START_MS]`). The open is
 * never read by any indicator, so it is not passed.
 */
export type StepKernel = (
  state: Float64Array,
  at: number,
  high: number,
  low: number,
  close: number,
  volume: number,
) => void;

/** Offset in an indicator's state of the bars fed. */
export const STATE_COUNT = 0;
/** Offset in an indicator's state of the last bar's start, epoch ms (NaN before the first). */
export const STATE_LAST_START_MS = 1;
/** Offset in an indicator's state of the ready flag (1 ready, 0 not). */
export const STATE_READY = 2;
/** Offset in an indicator's state of its first output. */
export const STATE_OUT = 3;

/**
 * The base of every indicator: a state machine fed one closed bar at a time, O(1) per bar. All its state —
 * the count, the last bar's start, the ready flag, the outputs and its own sums and windows — lives in one
 * run of doubles, `state[at … at + stateSize)`, stepped by a plain function (`kernel`). So an engine holding
 * many indicators may `moveTo` them side by side in one array and step them with no object touched per bar;
 * `update(bar)` does the same for one. Outputs are in `out` (NaN until ready), a view of the state.
 */
export abstract class Indicator {
  /** The indicator's name, e.g. `ema`. */
  abstract readonly name: string;
  /** Names of its outputs, e.g. `['value']` or `['macd', 'signal', 'histogram']`. */
  abstract readonly outputs: readonly string[];
  /** Bars needed before the first value (the warm-up length). */
  abstract readonly warmUpBars: number;
  /** The array holding the state (its own, or an engine's shared one after `moveTo`). */
  state: Float64Array;
  /** Where the state starts in `state`. */
  at = 0;
  /** Doubles of state. */
  readonly stateSize: number;
  /** The step over one bar. */
  readonly kernel: StepKernel;
  /** The outputs now, in the order of `outputs`; NaN while not ready. A view of the state: read it after `moveTo`. */
  out: Float64Array;

  /** `outputs` numbers out, `ownSize` doubles of the indicator's own state after them, stepped by `kernel`. */
  constructor(outputs: number, ownSize: number, kernel: StepKernel) {
    this.stateSize = STATE_OUT + outputs + ownSize;
    this.state = new Float64Array(this.stateSize);
    this.state[STATE_LAST_START_MS] = Number.NaN;
    this.out = this.state.subarray(STATE_OUT, STATE_OUT + outputs).fill(Number.NaN);
    this.kernel = kernel;
  }

  /** Bars fed since construction (or `reset`). */
  get count(): number {
    return this.state[this.at + STATE_COUNT] as number;
  }

  /** Start of the last bar fed, epoch ms; NaN before the first. */
  get lastStartMs(): number {
    return this.state[this.at + STATE_LAST_START_MS] as number;
  }

  /** True once the warm-up is done and `out` holds values. */
  get ready(): boolean {
    return this.state[this.at + STATE_READY] === 1;
  }

  /** Feeds the next closed bar (bars must come in time order; a forming bar must never be fed). */
  update(bar: OhlcvBar): void {
    const s = this.state;
    const at = this.at;
    s[at + STATE_COUNT] = (s[at + STATE_COUNT] as number) + 1;
    s[at + STATE_LAST_START_MS] = bar.startMs;
    this.kernel(s, at, bar.high, bar.low, bar.close, bar.volume);
  }

  /** Moves the state to `state[at …]` (copied as it is); from then on the indicator lives there. */
  moveTo(state: Float64Array, at: number): void {
    state.set(this.state.subarray(this.at, this.at + this.stateSize), at);
    this.state = state;
    this.at = at;
    this.out = state.subarray(at + STATE_OUT, at + STATE_OUT + this.out.length);
  }

  /** A new trading session starts; true when the indicator started afresh (session-anchored: VWAP bands). */
  newSession(): boolean {
    return false;
  }

  /** Back to the state before the first bar. */
  reset(): void {
    const s = this.state;
    s[this.at + STATE_COUNT] = 0;
    s[this.at + STATE_LAST_START_MS] = Number.NaN;
    s[this.at + STATE_READY] = 0;
    this.out.fill(Number.NaN);
    this.clear();
  }

  /** Clears the indicator's own state (for `reset`). */
  protected abstract clear(): void;

  /** The value now: a number (one output) or an object by output name; null parts until ready. */
  get value(): IndicatorValue {
    const names = this.outputs;
    const ready = this.ready;
    if (names.length === 1) return ready ? (this.out[0] as number) : null;
    const v: Record<string, number | null> = {};
    for (let i = 0; i < names.length; i++) v[names[i] as string] = ready ? (this.out[i] as number) : null;
    return v;
  }

  /** `{ value, ready }`. */
  toJson(): IndicatorJson {
    return { value: this.value, ready: this.ready } satisfies Json;
  }
}
