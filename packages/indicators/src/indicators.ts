import { STATE_COUNT as COUNT, Indicator, STATE_READY as READY } from './indicator.js';
import {
  extremeClear,
  extremeInit,
  extremePush,
  extremeSize,
  ringClear,
  ringFull,
  ringInit,
  ringPush,
  ringSize,
  ringSum,
} from './windows.js';

// Each indicator's state after the common header (count, last start, ready) and its outputs: the offsets
// below are from the indicator's `at`. Outputs start at 3; one output ends at 3, three at 5.
const ONE = Object.freeze(['value']);
const BANDS = Object.freeze(['upper', 'middle', 'lower']);

// SMA: period, then the ring.
const SMA_PERIOD = 4;
const SMA_RING = 5;

function smaStep(
  s: Float64Array,
  at: number,
  _high: number,
  _low: number,
  close: number,
  _volume: number,
): void {
  const b = at + SMA_RING;
  ringPush(s, b, close);
  if (ringFull(s, b)) {
    s[at + 3] = ringSum(s, b) / (s[at + SMA_PERIOD] as number);
    s[at + READY] = 1;
  }
}

/** Simple moving average of the close over `period` bars. Ready after `period` bars. */
export class Sma extends Indicator {
  readonly name = 'sma';
  readonly outputs = ONE;
  readonly warmUpBars: number;

  constructor(readonly period: number) {
    super(1, 1 + ringSize(period), smaStep);
    this.warmUpBars = period;
    this.state[SMA_PERIOD] = period;
    ringInit(this.state, SMA_RING, period);
  }

  protected clear(): void {
    ringClear(this.state, this.at + SMA_RING);
  }
}

// EMA: period, k, Σ of the seed, the EMA.
const EMA_PERIOD = 4;
const EMA_K = 5;
const EMA_SUM = 6;
const EMA_EMA = 7;

function emaStep(s: Float64Array, at: number, _high: number, _low: number, x: number, _volume: number): void {
  let ema: number;
  if (s[at + READY] === 1) {
    ema = s[at + EMA_EMA] as number;
    ema = (x - ema) * (s[at + EMA_K] as number) + ema;
  } else {
    s[at + EMA_SUM] = (s[at + EMA_SUM] as number) + x;
    const period = s[at + EMA_PERIOD] as number;
    if ((s[at + COUNT] as number) < period) return;
    ema = (s[at + EMA_SUM] as number) / period;
    s[at + READY] = 1;
  }
  s[at + EMA_EMA] = ema;
  s[at + 3] = ema;
}

/**
 * Exponential moving average of the close, k = 2 / (period + 1), seeded with the SMA of the first `period`
 * closes (TA-Lib). Ready after `period` bars.
 */
export class Ema extends Indicator {
  readonly name = 'ema';
  readonly outputs = ONE;
  readonly warmUpBars: number;

  constructor(readonly period: number) {
    super(1, 4, emaStep);
    this.warmUpBars = period;
    this.state[EMA_PERIOD] = period;
    this.state[EMA_K] = 2 / (period + 1);
  }

  protected clear(): void {
    this.state[this.at + EMA_SUM] = 0;
    this.state[this.at + EMA_EMA] = 0;
  }
}

// WMA: period, divisor, Σ weight·close, then the ring.
const WMA_PERIOD = 4;
const WMA_DIVISOR = 5;
const WMA_WEIGHTED = 6;
const WMA_RING = 7;

function wmaStep(s: Float64Array, at: number, _high: number, _low: number, x: number, _volume: number): void {
  const b = at + WMA_RING;
  const n = s[at + WMA_PERIOD] as number;
  // Every value already in the window loses one weight; the new one comes in at weight n (or its rank).
  if (ringFull(s, b)) s[at + WMA_WEIGHTED] = (s[at + WMA_WEIGHTED] as number) + (n * x - ringSum(s, b));
  else s[at + WMA_WEIGHTED] = (s[at + WMA_WEIGHTED] as number) + (s[at + COUNT] as number) * x;
  ringPush(s, b, x);
  if (ringFull(s, b)) {
    s[at + 3] = (s[at + WMA_WEIGHTED] as number) / (s[at + WMA_DIVISOR] as number);
    s[at + READY] = 1;
  }
}

/** Linearly weighted moving average of the close: weights 1 … period, newest heaviest. Ready after `period` bars. */
export class Wma extends Indicator {
  readonly name = 'wma';
  readonly outputs = ONE;
  readonly warmUpBars: number;

  constructor(readonly period: number) {
    super(1, 3 + ringSize(period), wmaStep);
    this.warmUpBars = period;
    this.state[WMA_PERIOD] = period;
    this.state[WMA_DIVISOR] = (period * (period + 1)) / 2;
    ringInit(this.state, WMA_RING, period);
  }

  protected clear(): void {
    ringClear(this.state, this.at + WMA_RING);
    this.state[this.at + WMA_WEIGHTED] = 0;
  }
}

// RSI: period, previous close, average gain, average loss.
const RSI_PERIOD = 4;
const RSI_PREVIOUS = 5;
const RSI_GAIN = 6;
const RSI_LOSS = 7;

function rsiStep(s: Float64Array, at: number, _high: number, _low: number, x: number, _volume: number): void {
  const change = x - (s[at + RSI_PREVIOUS] as number);
  s[at + RSI_PREVIOUS] = x;
  const c = s[at + COUNT] as number;
  if (c === 1) return;
  const gain = Math.max(change, 0);
  const loss = change < 0 ? -change : 0;
  const n = s[at + RSI_PERIOD] as number;
  let g: number;
  let l: number;
  if (s[at + READY] === 1) {
    g = ((s[at + RSI_GAIN] as number) * (n - 1) + gain) / n;
    l = ((s[at + RSI_LOSS] as number) * (n - 1) + loss) / n;
  } else {
    g = (s[at + RSI_GAIN] as number) + gain;
    l = (s[at + RSI_LOSS] as number) + loss;
    if (c <= n) {
      s[at + RSI_GAIN] = g;
      s[at + RSI_LOSS] = l;
      return;
    }
    g /= n;
    l /= n;
    s[at + READY] = 1;
  }
  s[at + RSI_GAIN] = g;
  s[at + RSI_LOSS] = l;
  const total = g + l;
  s[at + 3] = total === 0 ? 0 : (100 * g) / total;
}

/**
 * Relative strength index with Wilder smoothing: the first average gain and loss are the simple means of
 * the first `period` changes, then avg = (avg·(period−1) + x) / period. RSI = 100·gain / (gain + loss), 0
 * when both are 0 (TA-Lib). Ready after `period + 1` bars.
 */
export class Rsi extends Indicator {
  readonly name = 'rsi';
  readonly outputs = ONE;
  readonly warmUpBars: number;

  constructor(readonly period: number) {
    super(1, 4, rsiStep);
    this.warmUpBars = period + 1;
    this.state[RSI_PERIOD] = period;
  }

  protected clear(): void {
    const s = this.state;
    s[this.at + RSI_PREVIOUS] = 0;
    s[this.at + RSI_GAIN] = 0;
    s[this.at + RSI_LOSS] = 0;
  }
}

// MACD (outputs at 3 … 5): parameters, the three k, the seeds and the EMAs, then the fast seed's ring.
const MACD_FAST = 6;
const MACD_SLOW = 7;
const MACD_SIGNAL = 8;
const MACD_WARM_UP = 9;
const MACD_FAST_K = 10;
const MACD_SLOW_K = 11;
const MACD_SIGNAL_K = 12;
const MACD_SLOW_SUM = 13;
const MACD_FAST_EMA = 14;
const MACD_SLOW_EMA = 15;
const MACD_SIGNAL_SUM = 16;
const MACD_SIGNAL_EMA = 17;
const MACD_FAST_SEED = 18;

function macdStep(
  s: Float64Array,
  at: number,
  _high: number,
  _low: number,
  x: number,
  _volume: number,
): void {
  const c = s[at + COUNT] as number;
  const slow = s[at + MACD_SLOW] as number;
  let fastEma: number;
  let slowEma: number;
  if (c < slow) {
    s[at + MACD_SLOW_SUM] = (s[at + MACD_SLOW_SUM] as number) + x;
    ringPush(s, at + MACD_FAST_SEED, x);
    return;
  }
  if (c === slow) {
    s[at + MACD_SLOW_SUM] = (s[at + MACD_SLOW_SUM] as number) + x;
    ringPush(s, at + MACD_FAST_SEED, x);
    slowEma = (s[at + MACD_SLOW_SUM] as number) / slow;
    fastEma = ringSum(s, at + MACD_FAST_SEED) / (s[at + MACD_FAST] as number);
  } else {
    fastEma = s[at + MACD_FAST_EMA] as number;
    slowEma = s[at + MACD_SLOW_EMA] as number;
    fastEma = (x - fastEma) * (s[at + MACD_FAST_K] as number) + fastEma;
    slowEma = (x - slowEma) * (s[at + MACD_SLOW_K] as number) + slowEma;
  }
  s[at + MACD_FAST_EMA] = fastEma;
  s[at + MACD_SLOW_EMA] = slowEma;
  const line = fastEma - slowEma;
  let signal: number;
  if (s[at + READY] === 1) {
    signal = s[at + MACD_SIGNAL_EMA] as number;
    signal = (line - signal) * (s[at + MACD_SIGNAL_K] as number) + signal;
  } else {
    s[at + MACD_SIGNAL_SUM] = (s[at + MACD_SIGNAL_SUM] as number) + line;
    if (c < (s[at + MACD_WARM_UP] as number)) return;
    signal = (s[at + MACD_SIGNAL_SUM] as number) / (s[at + MACD_SIGNAL] as number);
    s[at + READY] = 1;
  }
  s[at + MACD_SIGNAL_EMA] = signal;
  s[at + 3] = line;
  s[at + 4] = signal;
  s[at + 5] = line - signal;
}

/**
 * MACD as TA-Lib computes it: both EMAs start at bar `slow` (the slow one seeded with the SMA of the first
 * `slow` closes, the fast one with the SMA of the `fast` closes ending there), line = fast − slow, signal =
 * EMA(signal) of the line seeded with the SMA of its first `signal` values, histogram = line − signal.
 * Ready after `slow + signal − 1` bars.
 */
export class Macd extends Indicator {
  readonly name = 'macd';
  readonly outputs = Object.freeze(['macd', 'signal', 'histogram']);
  readonly warmUpBars: number;

  constructor(
    readonly fast: number,
    readonly slow: number,
    readonly signal: number,
  ) {
    super(3, MACD_FAST_SEED - 6 + ringSize(fast), macdStep);
    this.warmUpBars = slow + signal - 1;
    const s = this.state;
    s[MACD_FAST] = fast;
    s[MACD_SLOW] = slow;
    s[MACD_SIGNAL] = signal;
    s[MACD_WARM_UP] = this.warmUpBars;
    s[MACD_FAST_K] = 2 / (fast + 1);
    s[MACD_SLOW_K] = 2 / (slow + 1);
    s[MACD_SIGNAL_K] = 2 / (signal + 1);
    ringInit(s, MACD_FAST_SEED, fast);
  }

  protected clear(): void {
    const s = this.state;
    const at = this.at;
    ringClear(s, at + MACD_FAST_SEED);
    s.fill(0, at + MACD_SLOW_SUM, at + MACD_SIGNAL_EMA + 1);
  }
}

/** max(high − low, |high − previous close|, |low − previous close|). */
function trueRange(high: number, low: number, previousClose: number): number {
  const hl = high - low;
  const hc = Math.abs(high - previousClose);
  const lc = Math.abs(low - previousClose);
  return hl >= hc ? Math.max(hl, lc) : Math.max(hc, lc);
}

// ATR: period, previous close, the ATR (the sum of true ranges while warming up).
const ATR_PERIOD = 4;
const ATR_PREVIOUS = 5;
const ATR_ATR = 6;

function atrStep(
  s: Float64Array,
  at: number,
  high: number,
  low: number,
  close: number,
  _volume: number,
): void {
  const previous = s[at + ATR_PREVIOUS] as number;
  s[at + ATR_PREVIOUS] = close;
  const c = s[at + COUNT] as number;
  if (c === 1) return;
  const tr = trueRange(high, low, previous);
  const n = s[at + ATR_PERIOD] as number;
  let atr = s[at + ATR_ATR] as number;
  if (s[at + READY] === 1) {
    atr = (atr * (n - 1) + tr) / n;
  } else {
    atr += tr;
    if (c <= n) {
      s[at + ATR_ATR] = atr;
      return;
    }
    atr /= n;
    s[at + READY] = 1;
  }
  s[at + ATR_ATR] = atr;
  s[at + 3] = atr;
}

/**
 * Average true range with Wilder smoothing (TA-Lib): the first true range needs a previous close, so the
 * first bar gives none; ATR starts as the mean of the first `period` true ranges, then
 * atr = (atr·(period−1) + tr) / period. Ready after `period + 1` bars.
 */
export class Atr extends Indicator {
  readonly name = 'atr';
  readonly outputs = ONE;
  readonly warmUpBars: number;

  constructor(readonly period: number) {
    super(1, 3, atrStep);
    this.warmUpBars = period + 1;
    this.state[ATR_PERIOD] = period;
  }

  protected clear(): void {
    this.state[this.at + ATR_PREVIOUS] = 0;
    this.state[this.at + ATR_ATR] = 0;
  }
}

// Bollinger (outputs at 3 … 5): period, k, next slot, shift, Σd, Σd², then the ring of closes.
const BB_PERIOD = 6;
const BB_K = 7;
const BB_AT = 8;
const BB_SHIFT = 9;
const BB_S1 = 10;
const BB_S2 = 11;
const BB_RING = 12;

function bollingerStep(
  s: Float64Array,
  at: number,
  _high: number,
  _low: number,
  x: number,
  _volume: number,
): void {
  const n = s[at + BB_PERIOD] as number;
  const c = s[at + COUNT] as number;
  const ring = at + BB_RING;
  let slot = (s[at + BB_AT] as number) | 0;
  if (c === 1) s[at + BB_SHIFT] = x;
  const shift = s[at + BB_SHIFT] as number;
  let s1 = s[at + BB_S1] as number;
  let s2 = s[at + BB_S2] as number;
  if (c > n) {
    const d = (s[ring + slot] as number) - shift;
    s1 -= d;
    s2 -= d * d;
  }
  s[ring + slot] = x;
  const d = x - shift;
  s1 += d;
  s2 += d * d;
  if (++slot === n) {
    slot = 0;
    // The sums afresh over the window, shifted by its newest close.
    const filled = Math.min(c, n);
    s1 = 0;
    s2 = 0;
    for (let i = 0; i < filled; i++) {
      const e = (s[ring + i] as number) - x;
      s1 += e;
      s2 += e * e;
    }
    s[at + BB_SHIFT] = x;
  }
  s[at + BB_AT] = slot;
  s[at + BB_S1] = s1;
  s[at + BB_S2] = s2;
  if (c < n) return;
  s[at + READY] = 1;
  const mean = s1 / n;
  const variance = s2 / n - mean * mean;
  const sd = variance > 0 ? Math.sqrt(variance) : 0;
  const middle = (s[at + BB_SHIFT] as number) + mean;
  const k = s[at + BB_K] as number;
  s[at + 3] = middle + k * sd;
  s[at + 4] = middle;
  s[at + 5] = middle - k * sd;
}

/**
 * Bollinger Bands: middle = SMA(period) of the close, upper/lower = middle ± k·σ with σ the population
 * standard deviation of the same closes (divided by `period`, TA-Lib). Ready after `period` bars.
 *
 * σ² comes from running sums of (x − shift) and (x − shift)², the shift being a close of the window, so the
 * subtraction of two large squares that loses digits at prices of 200 never happens; the sums are rebuilt
 * from the window every `period` bars, so rounding never accumulates (amortised O(1)).
 */
export class Bollinger extends Indicator {
  readonly name = 'bollinger';
  readonly outputs = BANDS;
  readonly warmUpBars: number;

  constructor(
    readonly period: number,
    readonly k: number,
  ) {
    super(3, BB_RING - 6 + period, bollingerStep);
    this.warmUpBars = period;
    this.state[BB_PERIOD] = period;
    this.state[BB_K] = k;
    this.state[BB_SHIFT] = Number.NaN;
  }

  protected clear(): void {
    const s = this.state;
    const at = this.at;
    s[at + BB_AT] = 0;
    s[at + BB_SHIFT] = Number.NaN;
    s[at + BB_S1] = 0;
    s[at + BB_S2] = 0;
  }
}

// Stochastic (outputs at 3, 4): period, smooth, signal, then the highest high, lowest low, %K and %D windows.
const ST_PERIOD = 5;
const ST_SMOOTH = 6;
const ST_SIGNAL = 7;
const ST_HIGHEST = 8;

function stochasticStep(
  s: Float64Array,
  at: number,
  high: number,
  low: number,
  close: number,
  _volume: number,
): void {
  const period = s[at + ST_PERIOD] as number;
  const highest = at + ST_HIGHEST;
  const lowest = highest + extremeSize(period);
  const kRing = lowest + extremeSize(period);
  const hh = extremePush(s, highest, high);
  const ll = extremePush(s, lowest, low);
  if ((s[at + COUNT] as number) < period) return;
  const range = hh - ll;
  const raw = range === 0 ? 0 : ((close - ll) * 100) / range;
  ringPush(s, kRing, raw);
  if (!ringFull(s, kRing)) return;
  const smooth = s[at + ST_SMOOTH] as number;
  const slowK = ringSum(s, kRing) / smooth;
  const dRing = kRing + ringSize(smooth);
  ringPush(s, dRing, slowK);
  if (!ringFull(s, dRing)) return;
  s[at + READY] = 1;
  s[at + 3] = slowK;
  s[at + 4] = ringSum(s, dRing) / (s[at + ST_SIGNAL] as number);
}

/**
 * Stochastic oscillator: raw %K = 100·(close − lowest low) / (highest high − lowest low) over `period` bars
 * (0 when the range is 0, TA-Lib), %K = SMA(smooth) of raw %K (smooth 1 = the fast stochastic), %D =
 * SMA(signal) of %K. Ready after `period + smooth + signal − 2` bars.
 */
export class Stochastic extends Indicator {
  readonly name = 'stoch';
  readonly outputs = Object.freeze(['k', 'd']);
  readonly warmUpBars: number;

  constructor(
    readonly period: number,
    readonly smooth: number,
    readonly signal: number,
  ) {
    super(2, 3 + 2 * extremeSize(period) + ringSize(smooth) + ringSize(signal), stochasticStep);
    this.warmUpBars = period + smooth + signal - 2;
    const s = this.state;
    s[ST_PERIOD] = period;
    s[ST_SMOOTH] = smooth;
    s[ST_SIGNAL] = signal;
    const lowest = ST_HIGHEST + extremeSize(period);
    const kRing = lowest + extremeSize(period);
    extremeInit(s, ST_HIGHEST, period, true);
    extremeInit(s, lowest, period, false);
    ringInit(s, kRing, smooth);
    ringInit(s, kRing + ringSize(smooth), signal);
  }

  protected clear(): void {
    const s = this.state;
    const highest = this.at + ST_HIGHEST;
    const lowest = highest + extremeSize(this.period);
    const kRing = lowest + extremeSize(this.period);
    extremeClear(s, highest);
    extremeClear(s, lowest);
    ringClear(s, kRing);
    ringClear(s, kRing + ringSize(this.smooth));
  }
}

// OBV: previous close, the OBV.
const OBV_PREVIOUS = 4;
const OBV_OBV = 5;

function obvStep(s: Float64Array, at: number, _high: number, _low: number, x: number, volume: number): void {
  const previous = s[at + OBV_PREVIOUS] as number;
  let obv: number;
  if (s[at + COUNT] === 1) obv = volume;
  else {
    obv = s[at + OBV_OBV] as number;
    if (x > previous) obv += volume;
    else if (x < previous) obv -= volume;
  }
  s[at + OBV_OBV] = obv;
  s[at + OBV_PREVIOUS] = x;
  s[at + READY] = 1;
  s[at + 3] = obv;
}

/**
 * On-balance volume (TA-Lib): starts at the first bar's volume, then adds the volume when the close rose,
 * subtracts it when it fell, keeps it when unchanged. Ready after 1 bar.
 */
export class Obv extends Indicator {
  readonly name = 'obv';
  readonly outputs = ONE;
  readonly warmUpBars = 1;

  constructor() {
    super(1, 2, obvStep);
  }

  protected clear(): void {
    this.state[this.at + OBV_PREVIOUS] = 0;
    this.state[this.at + OBV_OBV] = 0;
  }
}

// VWAP bands (outputs at 3 … 5): k, shift, Σvolume, Σd·v, Σd²·v.
const VW_K = 6;
const VW_SHIFT = 7;
const VW_VOLUME = 8;
const VW_S1 = 9;
const VW_S2 = 10;

function vwapBandsStep(
  s: Float64Array,
  at: number,
  high: number,
  low: number,
  close: number,
  v: number,
): void {
  const typical = (high + low + close) / 3;
  // Sums of volume-weighted deviations from the session's first typical price: no loss of digits.
  if (Number.isNaN(s[at + VW_SHIFT])) s[at + VW_SHIFT] = typical;
  const shift = s[at + VW_SHIFT] as number;
  const d = typical - shift;
  const volume = (s[at + VW_VOLUME] as number) + v;
  const s1 = (s[at + VW_S1] as number) + d * v;
  const s2 = (s[at + VW_S2] as number) + d * d * v;
  s[at + VW_VOLUME] = volume;
  s[at + VW_S1] = s1;
  s[at + VW_S2] = s2;
  if (volume === 0) return;
  const mean = s1 / volume;
  const variance = s2 / volume - mean * mean;
  const sd = variance > 0 ? Math.sqrt(variance) : 0;
  const vwap = shift + mean;
  const k = s[at + VW_K] as number;
  s[at + READY] = 1;
  s[at + 3] = vwap;
  s[at + 4] = vwap + k * sd;
  s[at + 5] = vwap - k * sd;
}

/**
 * Session VWAP with bands: vwap = Σ(typical·volume) / Σvolume with typical = (high + low + close) / 3, and
 * bands at vwap ± k·σ, σ the volume-weighted population standard deviation of the typical prices. Starts
 * afresh at `newSession()`. Ready from the session's first bar with volume (not before: no volume, no price).
 */
export class VwapBands extends Indicator {
  readonly name = 'vwap_bands';
  readonly outputs = Object.freeze(['vwap', 'upper', 'lower']);
  readonly warmUpBars = 1;

  constructor(readonly k: number) {
    super(3, 5, vwapBandsStep);
    this.state[VW_K] = k;
    this.state[VW_SHIFT] = Number.NaN;
  }

  override newSession(): boolean {
    this.clear();
    this.state[this.at + READY] = 0;
    this.out.fill(Number.NaN);
    return true;
  }

  protected clear(): void {
    const s = this.state;
    const at = this.at;
    s[at + VW_SHIFT] = Number.NaN;
    s[at + VW_VOLUME] = 0;
    s[at + VW_S1] = 0;
    s[at + VW_S2] = 0;
  }
}

// Donchian (outputs at 3 … 5): period, then the highest high and lowest low windows.
const DC_PERIOD = 6;
const DC_HIGHEST = 7;

function donchianStep(
  s: Float64Array,
  at: number,
  high: number,
  low: number,
  _close: number,
  _volume: number,
): void {
  const period = s[at + DC_PERIOD] as number;
  const highest = at + DC_HIGHEST;
  const hh = extremePush(s, highest, high);
  const ll = extremePush(s, highest + extremeSize(period), low);
  if ((s[at + COUNT] as number) < period) return;
  s[at + READY] = 1;
  s[at + 3] = hh;
  s[at + 4] = (hh + ll) / 2;
  s[at + 5] = ll;
}

/** Donchian channel: the highest high and lowest low of the last `period` bars and their midpoint. Ready after `period` bars. */
export class Donchian extends Indicator {
  readonly name = 'donchian';
  readonly outputs = BANDS;
  readonly warmUpBars: number;

  constructor(readonly period: number) {
    super(3, 1 + 2 * extremeSize(period), donchianStep);
    this.warmUpBars = period;
    this.state[DC_PERIOD] = period;
    extremeInit(this.state, DC_HIGHEST, period, true);
    extremeInit(this.state, DC_HIGHEST + extremeSize(period), period, false);
  }

  protected clear(): void {
    const highest = this.at + DC_HIGHEST;
    extremeClear(this.state, highest);
    extremeClear(this.state, highest + extremeSize(this.period));
  }
}

// ADX (outputs at 3 … 5): period, the previous bar, the smoothed ±DM and TR, Σdx, the ADX.
const ADX_PERIOD = 6;
const ADX_HIGH = 7;
const ADX_LOW = 8;
const ADX_CLOSE = 9;
const ADX_PLUS_DM = 10;
const ADX_MINUS_DM = 11;
const ADX_TR = 12;
const ADX_SUM_DX = 13;
const ADX_ADX = 14;

function adxStep(
  s: Float64Array,
  at: number,
  high: number,
  low: number,
  close: number,
  _volume: number,
): void {
  const c = s[at + COUNT] as number;
  const n = s[at + ADX_PERIOD] as number;
  const up = high - (s[at + ADX_HIGH] as number);
  const down = (s[at + ADX_LOW] as number) - low;
  const tr = trueRange(high, low, s[at + ADX_CLOSE] as number);
  s[at + ADX_HIGH] = high;
  s[at + ADX_LOW] = low;
  s[at + ADX_CLOSE] = close;
  if (c === 1) return;
  const minusDm = down > 0 && up < down ? down : 0;
  const plusDm = up > 0 && up > down ? up : 0;
  let sPlus = s[at + ADX_PLUS_DM] as number;
  let sMinus = s[at + ADX_MINUS_DM] as number;
  let sTr = s[at + ADX_TR] as number;
  if (c <= n) {
    // Bars 2 … period: the first period − 1 moves are summed as they are.
    s[at + ADX_PLUS_DM] = sPlus + plusDm;
    s[at + ADX_MINUS_DM] = sMinus + minusDm;
    s[at + ADX_TR] = sTr + tr;
    return;
  }
  // The order of TA-Lib's operations, so the same doubles come out.
  sPlus = sPlus - sPlus / n + plusDm;
  sMinus = sMinus - sMinus / n + minusDm;
  sTr = sTr - sTr / n + tr;
  s[at + ADX_PLUS_DM] = sPlus;
  s[at + ADX_MINUS_DM] = sMinus;
  s[at + ADX_TR] = sTr;
  let plusDi = 0;
  let minusDi = 0;
  let dx = Number.NaN;
  if (sTr !== 0) {
    plusDi = (100 * sPlus) / sTr;
    minusDi = (100 * sMinus) / sTr;
    const sum = plusDi + minusDi;
    if (sum !== 0) dx = (100 * Math.abs(minusDi - plusDi)) / sum;
  }
  let adx = s[at + ADX_ADX] as number;
  if (s[at + READY] !== 1) {
    if (!Number.isNaN(dx)) s[at + ADX_SUM_DX] = (s[at + ADX_SUM_DX] as number) + dx;
    if (c < 2 * n) return;
    adx = (s[at + ADX_SUM_DX] as number) / n;
    s[at + READY] = 1;
  } else if (!Number.isNaN(dx)) {
    adx = (adx * (n - 1) + dx) / n;
  }
  s[at + ADX_ADX] = adx;
  s[at + 3] = adx;
  s[at + 4] = plusDi;
  s[at + 5] = minusDi;
}

/**
 * Average directional index as TA-Lib computes it. From the second bar: +DM = high − previous high when it
 * beats previous low − low and is positive, −DM the mirror, TR the true range. The first `period − 1` of
 * each are summed; from then on each sum S becomes S − S/period + x (Wilder), +DI = 100·S(+DM)/S(TR),
 * −DI likewise, DX = 100·|+DI − −DI| / (+DI + −DI). ADX = the mean of the first `period` DX, then
 * adx = (adx·(period−1) + dx) / period. When S(TR) or +DI + −DI is 0 there is no DX and the ADX is kept.
 * Ready after `2·period` bars.
 */
export class Adx extends Indicator {
  readonly name = 'adx';
  readonly outputs = Object.freeze(['adx', 'plus_di', 'minus_di']);
  readonly warmUpBars: number;

  constructor(readonly period: number) {
    super(3, 9, adxStep);
    this.warmUpBars = 2 * period;
    this.state[ADX_PERIOD] = period;
  }

  protected clear(): void {
    this.state.fill(0, this.at + ADX_HIGH, this.at + ADX_ADX + 1);
  }
}
