import { Indicator, type OhlcvBar } from './indicator.js';
import { RingSum, RollingExtreme } from './windows.js';

const ONE = Object.freeze(['value']);
const BANDS = Object.freeze(['upper', 'middle', 'lower']);

/** Simple moving average of the close over `period` bars. Ready after `period` bars. */
export class Sma extends Indicator {
  readonly name = 'sma';
  readonly outputs = ONE;
  readonly warmUpBars: number;
  readonly #window: RingSum;

  constructor(readonly period: number) {
    super(1);
    this.warmUpBars = period;
    this.#window = new RingSum(period);
  }

  protected step(bar: OhlcvBar): void {
    const w = this.#window;
    w.push(bar.close);
    if (w.full) {
      this.out[0] = w.sum / this.period;
      this.ready = true;
    }
  }

  protected clear(): void {
    this.#window.clear();
  }
}

/**
 * Exponential moving average of the close, k = 2 / (period + 1), seeded with the SMA of the first `period`
 * closes (TA-Lib). Ready after `period` bars.
 */
export class Ema extends Indicator {
  readonly name = 'ema';
  readonly outputs = ONE;
  readonly warmUpBars: number;
  readonly #k: number;
  #sum = 0;
  #ema = 0;

  constructor(readonly period: number) {
    super(1);
    this.warmUpBars = period;
    this.#k = 2 / (period + 1);
  }

  protected step(bar: OhlcvBar): void {
    const x = bar.close;
    if (this.ready) {
      this.#ema = (x - this.#ema) * this.#k + this.#ema;
    } else {
      this.#sum += x;
      if (this.count < this.period) return;
      this.#ema = this.#sum / this.period;
      this.ready = true;
    }
    this.out[0] = this.#ema;
  }

  protected clear(): void {
    this.#sum = 0;
    this.#ema = 0;
  }
}

/** Linearly weighted moving average of the close: weights 1 … period, newest heaviest. Ready after `period` bars. */
export class Wma extends Indicator {
  readonly name = 'wma';
  readonly outputs = ONE;
  readonly warmUpBars: number;
  readonly #window: RingSum;
  readonly #divisor: number;
  /** Σ weight·close over the window. */
  #weighted = 0;

  constructor(readonly period: number) {
    super(1);
    this.warmUpBars = period;
    this.#window = new RingSum(period);
    this.#divisor = (period * (period + 1)) / 2;
  }

  protected step(bar: OhlcvBar): void {
    const w = this.#window;
    const x = bar.close;
    const n = this.period;
    // Every value already in the window loses one weight; the new one comes in at weight n (or its rank).
    if (w.full) this.#weighted += n * x - w.sum;
    else this.#weighted += this.count * x;
    w.push(x);
    if (w.full) {
      this.out[0] = this.#weighted / this.#divisor;
      this.ready = true;
    }
  }

  protected clear(): void {
    this.#window.clear();
    this.#weighted = 0;
  }
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
  #previous = 0;
  #gain = 0;
  #loss = 0;

  constructor(readonly period: number) {
    super(1);
    this.warmUpBars = period + 1;
  }

  protected step(bar: OhlcvBar): void {
    const x = bar.close;
    const change = x - this.#previous;
    this.#previous = x;
    if (this.count === 1) return;
    const gain = Math.max(change, 0);
    const loss = change < 0 ? -change : 0;
    const n = this.period;
    if (this.ready) {
      this.#gain = (this.#gain * (n - 1) + gain) / n;
      this.#loss = (this.#loss * (n - 1) + loss) / n;
    } else {
      this.#gain += gain;
      this.#loss += loss;
      if (this.count <= n) return;
      this.#gain /= n;
      this.#loss /= n;
      this.ready = true;
    }
    const total = this.#gain + this.#loss;
    this.out[0] = total === 0 ? 0 : (100 * this.#gain) / total;
  }

  protected clear(): void {
    this.#previous = 0;
    this.#gain = 0;
    this.#loss = 0;
  }
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
  readonly #fastK: number;
  readonly #slowK: number;
  readonly #signalK: number;
  readonly #fastSeed: RingSum;
  #slowSum = 0;
  #fast = 0;
  #slow = 0;
  #signalSum = 0;
  #signal = 0;

  constructor(
    readonly fast: number,
    readonly slow: number,
    readonly signal: number,
  ) {
    super(3);
    this.warmUpBars = slow + signal - 1;
    this.#fastK = 2 / (fast + 1);
    this.#slowK = 2 / (slow + 1);
    this.#signalK = 2 / (signal + 1);
    this.#fastSeed = new RingSum(fast);
  }

  protected step(bar: OhlcvBar): void {
    const x = bar.close;
    const c = this.count;
    const slow = this.slow;
    if (c < slow) {
      this.#slowSum += x;
      this.#fastSeed.push(x);
      return;
    }
    if (c === slow) {
      this.#slowSum += x;
      this.#fastSeed.push(x);
      this.#slow = this.#slowSum / slow;
      this.#fast = this.#fastSeed.sum / this.fast;
    } else {
      this.#fast = (x - this.#fast) * this.#fastK + this.#fast;
      this.#slow = (x - this.#slow) * this.#slowK + this.#slow;
    }
    const line = this.#fast - this.#slow;
    if (this.ready) {
      this.#signal = (line - this.#signal) * this.#signalK + this.#signal;
    } else {
      this.#signalSum += line;
      if (c < this.warmUpBars) return;
      this.#signal = this.#signalSum / this.signal;
      this.ready = true;
    }
    const out = this.out;
    out[0] = line;
    out[1] = this.#signal;
    out[2] = line - this.#signal;
  }

  protected clear(): void {
    this.#fastSeed.clear();
    this.#slowSum = 0;
    this.#fast = 0;
    this.#slow = 0;
    this.#signalSum = 0;
    this.#signal = 0;
  }
}

/** max(high − low, |high − previous close|, |low − previous close|). */
function trueRange(high: number, low: number, previousClose: number): number {
  const hl = high - low;
  const hc = Math.abs(high - previousClose);
  const lc = Math.abs(low - previousClose);
  return hl >= hc ? Math.max(hl, lc) : Math.max(hc, lc);
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
  #previousClose = 0;
  #atr = 0;

  constructor(readonly period: number) {
    super(1);
    this.warmUpBars = period + 1;
  }

  protected step(bar: OhlcvBar): void {
    const previous = this.#previousClose;
    this.#previousClose = bar.close;
    if (this.count === 1) return;
    const tr = trueRange(bar.high, bar.low, previous);
    const n = this.period;
    if (this.ready) {
      this.#atr = (this.#atr * (n - 1) + tr) / n;
    } else {
      this.#atr += tr;
      if (this.count <= n) return;
      this.#atr /= n;
      this.ready = true;
    }
    this.out[0] = this.#atr;
  }

  protected clear(): void {
    this.#previousClose = 0;
    this.#atr = 0;
  }
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
  readonly #ring: Float64Array;
  #at = 0;
  #shift = Number.NaN;
  #s1 = 0;
  #s2 = 0;

  constructor(
    readonly period: number,
    readonly k: number,
  ) {
    super(3);
    this.warmUpBars = period;
    this.#ring = new Float64Array(period);
  }

  protected step(bar: OhlcvBar): void {
    const x = bar.close;
    const n = this.period;
    const ring = this.#ring;
    if (this.count === 1) this.#shift = x;
    const shift = this.#shift;
    if (this.count > n) {
      const d = (ring[this.#at] as number) - shift;
      this.#s1 -= d;
      this.#s2 -= d * d;
    }
    ring[this.#at] = x;
    const d = x - shift;
    this.#s1 += d;
    this.#s2 += d * d;
    if (++this.#at === n) {
      this.#at = 0;
      this.#rebase(x);
    }
    if (this.count < n) return;
    this.ready = true;
    const mean = this.#s1 / n;
    const variance = this.#s2 / n - mean * mean;
    const sd = variance > 0 ? Math.sqrt(variance) : 0;
    const middle = this.#shift + mean;
    const out = this.out;
    out[0] = middle + this.k * sd;
    out[1] = middle;
    out[2] = middle - this.k * sd;
  }

  /** The sums afresh over the window, shifted by its newest close. */
  #rebase(shift: number): void {
    const ring = this.#ring;
    const filled = Math.min(this.count, this.period);
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < filled; i++) {
      const d = (ring[i] as number) - shift;
      s1 += d;
      s2 += d * d;
    }
    this.#shift = shift;
    this.#s1 = s1;
    this.#s2 = s2;
  }

  protected clear(): void {
    this.#at = 0;
    this.#shift = Number.NaN;
    this.#s1 = 0;
    this.#s2 = 0;
  }
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
  readonly #highest: RollingExtreme;
  readonly #lowest: RollingExtreme;
  readonly #k: RingSum;
  readonly #d: RingSum;

  constructor(
    readonly period: number,
    readonly smooth: number,
    readonly signal: number,
  ) {
    super(2);
    this.warmUpBars = period + smooth + signal - 2;
    this.#highest = new RollingExtreme(period, true);
    this.#lowest = new RollingExtreme(period, false);
    this.#k = new RingSum(smooth);
    this.#d = new RingSum(signal);
  }

  protected step(bar: OhlcvBar): void {
    const hh = this.#highest.push(bar.high);
    const ll = this.#lowest.push(bar.low);
    if (this.count < this.period) return;
    const range = hh - ll;
    const raw = range === 0 ? 0 : ((bar.close - ll) * 100) / range;
    const k = this.#k;
    k.push(raw);
    if (!k.full) return;
    const slowK = k.sum / this.smooth;
    const d = this.#d;
    d.push(slowK);
    if (!d.full) return;
    this.ready = true;
    this.out[0] = slowK;
    this.out[1] = d.sum / this.signal;
  }

  protected clear(): void {
    this.#highest.clear();
    this.#lowest.clear();
    this.#k.clear();
    this.#d.clear();
  }
}

/**
 * On-balance volume (TA-Lib): starts at the first bar's volume, then adds the volume when the close rose,
 * subtracts it when it fell, keeps it when unchanged. Ready after 1 bar.
 */
export class Obv extends Indicator {
  readonly name = 'obv';
  readonly outputs = ONE;
  readonly warmUpBars = 1;
  #previous = 0;
  #obv = 0;

  constructor() {
    super(1);
  }

  protected step(bar: OhlcvBar): void {
    const x = bar.close;
    if (this.count === 1) this.#obv = bar.volume;
    else if (x > this.#previous) this.#obv += bar.volume;
    else if (x < this.#previous) this.#obv -= bar.volume;
    this.#previous = x;
    this.ready = true;
    this.out[0] = this.#obv;
  }

  protected clear(): void {
    this.#previous = 0;
    this.#obv = 0;
  }
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
  #shift = Number.NaN;
  #volume = 0;
  #s1 = 0;
  #s2 = 0;

  constructor(readonly k: number) {
    super(3);
  }

  protected step(bar: OhlcvBar): void {
    const v = bar.volume;
    const typical = (bar.high + bar.low + bar.close) / 3;
    // Sums of volume-weighted deviations from the session's first typical price: no loss of digits.
    if (Number.isNaN(this.#shift)) this.#shift = typical;
    const d = typical - this.#shift;
    this.#volume += v;
    this.#s1 += d * v;
    this.#s2 += d * d * v;
    if (this.#volume === 0) return;
    const mean = this.#s1 / this.#volume;
    const variance = this.#s2 / this.#volume - mean * mean;
    const sd = variance > 0 ? Math.sqrt(variance) : 0;
    const vwap = this.#shift + mean;
    this.ready = true;
    const out = this.out;
    out[0] = vwap;
    out[1] = vwap + this.k * sd;
    out[2] = vwap - this.k * sd;
  }

  override newSession(): void {
    this.clear();
    this.ready = false;
    this.out.fill(Number.NaN);
  }

  protected clear(): void {
    this.#shift = Number.NaN;
    this.#volume = 0;
    this.#s1 = 0;
    this.#s2 = 0;
  }
}

/** Donchian channel: the highest high and lowest low of the last `period` bars and their midpoint. Ready after `period` bars. */
export class Donchian extends Indicator {
  readonly name = 'donchian';
  readonly outputs = BANDS;
  readonly warmUpBars: number;
  readonly #highest: RollingExtreme;
  readonly #lowest: RollingExtreme;

  constructor(readonly period: number) {
    super(3);
    this.warmUpBars = period;
    this.#highest = new RollingExtreme(period, true);
    this.#lowest = new RollingExtreme(period, false);
  }

  protected step(bar: OhlcvBar): void {
    const hh = this.#highest.push(bar.high);
    const ll = this.#lowest.push(bar.low);
    if (this.count < this.period) return;
    this.ready = true;
    const out = this.out;
    out[0] = hh;
    out[1] = (hh + ll) / 2;
    out[2] = ll;
  }

  protected clear(): void {
    this.#highest.clear();
    this.#lowest.clear();
  }
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
  #high = 0;
  #low = 0;
  #close = 0;
  #plusDm = 0;
  #minusDm = 0;
  #tr = 0;
  #sumDx = 0;
  #adx = 0;

  constructor(readonly period: number) {
    super(3);
    this.warmUpBars = 2 * period;
  }

  protected step(bar: OhlcvBar): void {
    const { high, low, close } = bar;
    const c = this.count;
    const n = this.period;
    const up = high - this.#high;
    const down = this.#low - low;
    const tr = trueRange(high, low, this.#close);
    this.#high = high;
    this.#low = low;
    this.#close = close;
    if (c === 1) return;
    const minusDm = down > 0 && up < down ? down : 0;
    const plusDm = up > 0 && up > down ? up : 0;
    if (c <= n) {
      // Bars 2 … period: the first period − 1 moves are summed as they are.
      this.#plusDm += plusDm;
      this.#minusDm += minusDm;
      this.#tr += tr;
      return;
    }
    // The order of TA-Lib's operations, so the same doubles come out.
    this.#plusDm = this.#plusDm - this.#plusDm / n + plusDm;
    this.#minusDm = this.#minusDm - this.#minusDm / n + minusDm;
    this.#tr = this.#tr - this.#tr / n + tr;
    let plusDi = 0;
    let minusDi = 0;
    let dx = Number.NaN;
    if (this.#tr !== 0) {
      plusDi = (100 * this.#plusDm) / this.#tr;
      minusDi = (100 * this.#minusDm) / this.#tr;
      const sum = plusDi + minusDi;
      if (sum !== 0) dx = (100 * Math.abs(minusDi - plusDi)) / sum;
    }
    if (!this.ready) {
      if (!Number.isNaN(dx)) this.#sumDx += dx;
      if (c < 2 * n) return;
      this.#adx = this.#sumDx / n;
      this.ready = true;
    } else if (!Number.isNaN(dx)) {
      this.#adx = (this.#adx * (n - 1) + dx) / n;
    }
    const out = this.out;
    out[0] = this.#adx;
    out[1] = plusDi;
    out[2] = minusDi;
  }

  protected clear(): void {
    this.#high = 0;
    this.#low = 0;
    this.#close = 0;
    this.#plusDm = 0;
    this.#minusDm = 0;
    this.#tr = 0;
    this.#sumDx = 0;
    this.#adx = 0;
  }
}
