export { IndicatorParamError, UnknownIndicatorError } from './errors.js';
export {
  Indicator,
  type IndicatorJson,
  type IndicatorValue,
  type OhlcvBar,
  STATE_COUNT,
  STATE_LAST_START_MS,
  STATE_OUT,
  STATE_READY,
  type StepKernel,
} from './indicator.js';
export {
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
export {
  createIndicator,
  INDICATOR_NAMES,
  INDICATOR_PARAMS,
  type IndicatorName,
  type IndicatorParam,
  type IndicatorSpec,
  MAX_PERIOD_BARS,
  type ResolvedIndicatorSpec,
  resolveIndicatorSpec,
} from './registry.js';
