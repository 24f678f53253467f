/**
 * Every indicator recomputed from its definition over a whole series, with no state carried between bars
 * except where the definition itself is a recursion (EMA, Wilder smoothing): windows are summed afresh,
 * extremes searched afresh, standard deviations taken in two passes. Written from the formulas in the
 * README (TA-Lib's conventions), never from the package's code. Returns, per bar, the outputs (NaN where the
 * indicator is not ready yet).
 */
import type { OhlcvBar } from '../src/index.js';

type Rows = number[][];

const nan = (k: number): number[] => new Array<number>(k).fill(Number.NaN);

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function populationSd(xs: readonly number[]): number {
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / xs.length);
}

function trueRange(b: OhlcvBar, previousClose: number): number {
  return Math.max(b.high - b.low, Math.abs(b.high - previousClose), Math.abs(b.low - previousClose));
}

/** EMA over `xs` with k = 2/(n+1), seeded by the SMA of xs[seedEnd−n+1 … seedEnd]; NaN before seedEnd. */
function emaFrom(xs: readonly number[], n: number, seedEnd: number): number[] {
  const k = 2 / (n + 1);
  const out = nan(xs.length);
  if (seedEnd >= xs.length) return out;
  let e = mean(xs.slice(seedEnd - n + 1, seedEnd + 1));
  out[seedEnd] = e;
  for (let i = seedEnd + 1; i < xs.length; i++) {
    e = ((xs[i] as number) - e) * k + e;
    out[i] = e;
  }
  return out;
}

/** Wilder smoothing of xs[first …]: the mean of the first n, then (prev·(n−1) + x)/n. */
function wilder(xs: readonly number[], n: number, first: number): number[] {
  const out = nan(xs.length);
  const seedEnd = first + n - 1;
  if (seedEnd >= xs.length) return out;
  let a = mean(xs.slice(first, seedEnd + 1));
  out[seedEnd] = a;
  for (let i = seedEnd + 1; i < xs.length; i++) {
    a = (a * (n - 1) + (xs[i] as number)) / n;
    out[i] = a;
  }
  return out;
}

export function sma(bars: readonly OhlcvBar[], n: number): Rows {
  const c = bars.map((b) => b.close);
  return c.map((_, i) => [i + 1 >= n ? mean(c.slice(i + 1 - n, i + 1)) : Number.NaN]);
}

export function ema(bars: readonly OhlcvBar[], n: number): Rows {
  return emaFrom(
    bars.map((b) => b.close),
    n,
    n - 1,
  ).map((v) => [v]);
}

export function wma(bars: readonly OhlcvBar[], n: number): Rows {
  const c = bars.map((b) => b.close);
  return c.map((_, i) => {
    if (i + 1 < n) return [Number.NaN];
    let s = 0;
    for (let j = 0; j < n; j++) s += (j + 1) * (c[i + 1 - n + j] as number);
    return [s / ((n * (n + 1)) / 2)];
  });
}

export function rsi(bars: readonly OhlcvBar[], n: number): Rows {
  const c = bars.map((b) => b.close);
  const gains = c.map((x, i) => (i === 0 ? 0 : Math.max(0, x - (c[i - 1] as number))));
  const losses = c.map((x, i) => (i === 0 ? 0 : Math.max(0, (c[i - 1] as number) - x)));
  const g = wilder(gains, n, 1);
  const l = wilder(losses, n, 1);
  return c.map((_, i) => {
    const gi = g[i] as number;
    const li = l[i] as number;
    if (Number.isNaN(gi)) return [Number.NaN];
    return [gi + li === 0 ? 0 : 100 - 100 / (1 + gi / li)];
  });
}

export function macd(bars: readonly OhlcvBar[], fast: number, slow: number, signal: number): Rows {
  const c = bars.map((b) => b.close);
  // TA-Lib: both EMAs start at bar slow−1, each seeded with the SMA of its own period ending there.
  const f = emaFrom(c, fast, slow - 1);
  const s = emaFrom(c, slow, slow - 1);
  const line = c.map((_, i) => (f[i] as number) - (s[i] as number));
  const sig = nan(c.length);
  const fromLine = emaFrom(line.slice(slow - 1), signal, signal - 1);
  fromLine.forEach((v, j) => {
    sig[slow - 1 + j] = v;
  });
  return c.map((_, i) => {
    const si = sig[i] as number;
    if (Number.isNaN(si)) return nan(3);
    return [line[i] as number, si, (line[i] as number) - si];
  });
}

export function atr(bars: readonly OhlcvBar[], n: number): Rows {
  const tr = bars.map((b, i) => (i === 0 ? Number.NaN : trueRange(b, (bars[i - 1] as OhlcvBar).close)));
  return wilder(tr, n, 1).map((v) => [v]);
}

export function bollinger(bars: readonly OhlcvBar[], n: number, k: number): Rows {
  const c = bars.map((b) => b.close);
  return c.map((_, i) => {
    if (i + 1 < n) return nan(3);
    const w = c.slice(i + 1 - n, i + 1);
    const m = mean(w);
    const sd = populationSd(w);
    return [m + k * sd, m, m - k * sd];
  });
}

export function stoch(bars: readonly OhlcvBar[], n: number, smooth: number, signal: number): Rows {
  const raw = bars.map((b, i) => {
    if (i + 1 < n) return Number.NaN;
    const w = bars.slice(i + 1 - n, i + 1);
    const hh = Math.max(...w.map((x) => x.high));
    const ll = Math.min(...w.map((x) => x.low));
    return hh === ll ? 0 : (100 * (b.close - ll)) / (hh - ll);
  });
  const k = raw.map((_, i) => (i + 1 < n + smooth - 1 ? Number.NaN : mean(raw.slice(i + 1 - smooth, i + 1))));
  return k.map((ki, i) =>
    i + 1 < n + smooth + signal - 2 ? nan(2) : [ki, mean(k.slice(i + 1 - signal, i + 1))],
  );
}

export function obv(bars: readonly OhlcvBar[]): Rows {
  let o = 0;
  return bars.map((b, i) => {
    const prev = bars[i - 1];
    if (prev === undefined) o = b.volume;
    else o += Math.sign(b.close - prev.close) * b.volume;
    return [o];
  });
}

/** `sessionOf(i)`: a key that changes when a new session starts at bar i. */
export function vwapBands(bars: readonly OhlcvBar[], k: number, sessionOf: (b: OhlcvBar) => string): Rows {
  const keys = bars.map(sessionOf);
  let from = 0;
  return bars.map((_, i) => {
    if (i > 0 && keys[i] !== keys[i - 1]) from = i;
    const w = bars.slice(from, i + 1);
    const tp = w.map((x) => (x.high + x.low + x.close) / 3);
    const vol = w.reduce((s, x) => s + x.volume, 0);
    if (vol === 0) return nan(3);
    const vwap = w.reduce((s, x, j) => s + (tp[j] as number) * x.volume, 0) / vol;
    const variance = w.reduce((s, x, j) => s + x.volume * ((tp[j] as number) - vwap) ** 2, 0) / vol;
    const sd = Math.sqrt(variance);
    return [vwap, vwap + k * sd, vwap - k * sd];
  });
}

export function donchian(bars: readonly OhlcvBar[], n: number): Rows {
  return bars.map((_, i) => {
    if (i + 1 < n) return nan(3);
    const w = bars.slice(i + 1 - n, i + 1);
    const hh = Math.max(...w.map((x) => x.high));
    const ll = Math.min(...w.map((x) => x.low));
    return [hh, (hh + ll) / 2, ll];
  });
}

export function adx(bars: readonly OhlcvBar[], n: number): Rows {
  const out: Rows = bars.map(() => nan(3));
  let sp = 0;
  let sm = 0;
  let st = 0;
  const dxs: number[] = [];
  let a = Number.NaN;
  for (let i = 1; i < bars.length; i++) {
    const b = bars[i] as OhlcvBar;
    const p = bars[i - 1] as OhlcvBar;
    const up = b.high - p.high;
    const down = p.low - b.low;
    const minusDm = down > 0 && down > up ? down : 0;
    const plusDm = up > 0 && up > down ? up : 0;
    const tr = trueRange(b, p.close);
    if (i < n) {
      // TA-Lib sums the first n−1 moves, then smooths from the n-th on.
      sp += plusDm;
      sm += minusDm;
      st += tr;
      continue;
    }
    sp = sp - sp / n + plusDm;
    sm = sm - sm / n + minusDm;
    st = st - st / n + tr;
    const pdi = st === 0 ? 0 : (100 * sp) / st;
    const mdi = st === 0 ? 0 : (100 * sm) / st;
    const dx = st === 0 || pdi + mdi === 0 ? Number.NaN : (100 * Math.abs(pdi - mdi)) / (pdi + mdi);
    if (i < 2 * n - 1) {
      dxs.push(Number.isNaN(dx) ? 0 : dx);
      continue;
    }
    if (i === 2 * n - 1) {
      dxs.push(Number.isNaN(dx) ? 0 : dx);
      a = mean(dxs);
    } else if (!Number.isNaN(dx)) {
      a = (a * (n - 1) + dx) / n;
    }
    out[i] = [a, pdi, mdi];
  }
  return out;
}
