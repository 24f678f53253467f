import { IndicatorParamError, UnknownIndicatorError } from './errors.js';
import type { Indicator } from './indicator.js';
import {
  Adx,
  Atr,
  Bollinger,
  Donchian,
  Ema,
  Macd,
  Obv,
  Rsi,
  Sma,
  Stochastic,
  VwapBands,
  Wma,
} from './indicators.js';

/** The parameters an indicator may take. */
export type IndicatorParam = 'period' | 'fast' | 'slow' | 'signal' | 'smooth' | 'k';

/** An indicator as declared (in a config): its name and parameters; omitted ones take their defaults. */
export interface IndicatorSpec {
  readonly name: string;
  readonly period?: number;
  readonly fast?: number;
  readonly slow?: number;
  readonly signal?: number;
  readonly smooth?: number;
  readonly k?: number;
}

/** One parameter of an indicator: its default (undefined: required) and whether it is a whole number of bars. */
interface ParamRule {
  readonly param: IndicatorParam;
  readonly fallback?: number;
  readonly bars: boolean;
}

const period: ParamRule = { param: 'period', bars: true };

/** Each indicator's parameters, in the order they appear in its key. */
const PARAMS = {
  sma: [period],
  ema: [period],
  wma: [period],
  rsi: [period],
  macd: [
    { param: 'fast', fallback: 12, bars: true },
    { param: 'slow', fallback: 26, bars: true },
    { param: 'signal', fallback: 9, bars: true },
  ],
  atr: [period],
  bollinger: [period, { param: 'k', fallback: 2, bars: false }],
  stoch: [period, { param: 'smooth', fallback: 1, bars: true }, { param: 'signal', fallback: 3, bars: true }],
  obv: [],
  vwap_bands: [{ param: 'k', fallback: 2, bars: false }],
  donchian: [period],
  adx: [period],
} as const satisfies Record<string, readonly ParamRule[]>;

/** An indicator's name. */
export type IndicatorName = keyof typeof PARAMS;

/** Every indicator's name. */
export const INDICATOR_NAMES: readonly IndicatorName[] = Object.freeze(
  Object.keys(PARAMS) as IndicatorName[],
);

/** Every parameter any indicator takes. */
export const INDICATOR_PARAMS: readonly IndicatorParam[] = Object.freeze([
  'period',
  'fast',
  'slow',
  'signal',
  'smooth',
  'k',
]);

/** The longest window a bar-count parameter may ask for (a year of 1m bars). */
export const MAX_PERIOD_BARS = 100_000;

/** A checked spec: the name, every parameter with defaults filled, and its key (`ema_20`, `macd_12_26_9`). */
export interface ResolvedIndicatorSpec {
  readonly name: IndicatorName;
  readonly params: Readonly<Partial<Record<IndicatorParam, number>>>;
  readonly key: string;
}

function isName(name: string): name is IndicatorName {
  return Object.hasOwn(PARAMS, name);
}

/**
 * Checks a spec and fills its defaults; throws UnknownIndicatorError for a name not in INDICATOR_NAMES and
 * IndicatorParamError (naming the parameter) for a missing, foreign or out-of-range parameter.
 */
export function resolveIndicatorSpec(spec: IndicatorSpec): ResolvedIndicatorSpec {
  const name = spec.name;
  if (typeof name !== 'string' || !isName(name))
    throw new UnknownIndicatorError(String(name), INDICATOR_NAMES);
  const rules: readonly ParamRule[] = PARAMS[name];
  for (const p of INDICATOR_PARAMS) {
    if (spec[p] !== undefined && !rules.some((r) => r.param === p)) {
      const takes = rules.length === 0 ? 'no parameters' : rules.map((r) => r.param).join(', ');
      throw new IndicatorParamError(name, p, `${name} takes ${takes}`);
    }
  }
  const params: Partial<Record<IndicatorParam, number>> = {};
  const parts: string[] = [name];
  for (const r of rules) {
    const value = spec[r.param] ?? r.fallback;
    if (value === undefined)
      throw new IndicatorParamError(name, r.param, 'required (a whole number of bars ≥ 1)');
    if (r.bars) {
      if (!Number.isInteger(value) || value < 1 || value > MAX_PERIOD_BARS)
        throw new IndicatorParamError(
          name,
          r.param,
          `expected a whole number of bars from 1 to ${MAX_PERIOD_BARS}, got ${value}`,
        );
    } else if (!Number.isFinite(value) || value < 0 || value > 100) {
      throw new IndicatorParamError(
        name,
        r.param,
        `expected a number of standard deviations from 0 to 100, got ${value}`,
      );
    }
    params[r.param] = value;
    parts.push(String(value));
  }
  if (name === 'macd' && (params.fast as number) >= (params.slow as number)) {
    throw new IndicatorParamError(name, 'fast', `must be below slow (${params.slow}), got ${params.fast}`);
  }
  return { name, params, key: parts.join('_') };
}

/** A new indicator for a spec (checked by resolveIndicatorSpec first). */
export function createIndicator(spec: IndicatorSpec | ResolvedIndicatorSpec): Indicator {
  const { name, params } = 'key' in spec ? spec : resolveIndicatorSpec(spec);
  const p = (param: IndicatorParam): number => params[param] as number;
  switch (name) {
    case 'sma':
      return new Sma(p('period'));
    case 'ema':
      return new Ema(p('period'));
    case 'wma':
      return new Wma(p('period'));
    case 'rsi':
      return new Rsi(p('period'));
    case 'macd':
      return new Macd(p('fast'), p('slow'), p('signal'));
    case 'atr':
      return new Atr(p('period'));
    case 'bollinger':
      return new Bollinger(p('period'), p('k'));
    case 'stoch':
      return new Stochastic(p('period'), p('smooth'), p('signal'));
    case 'obv':
      return new Obv();
    case 'vwap_bands':
      return new VwapBands(p('k'));
    case 'donchian':
      return new Donchian(p('period'));
    case 'adx':
      return new Adx(p('period'));
  }
}
