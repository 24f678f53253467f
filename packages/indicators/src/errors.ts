import { SysError } from '@sys/core';

/** An indicator parameter out of its range (a period of 0, a fast MACD period not below the slow one …). */
export class IndicatorParamError extends SysError {
  /** The indicator's name, e.g. `ema`. */
  readonly indicator: string;
  /** The parameter, e.g. `period`. */
  readonly param: string;

  constructor(indicator: string, param: string, detail: string) {
    super('INDICATOR_PARAM', `${indicator}.${param}: ${detail}`);
    this.indicator = indicator;
    this.param = param;
  }
}

/** A name that is not one of the indicators this package has; lists those it has. */
export class UnknownIndicatorError extends SysError {
  /** The name given. */
  readonly indicator: string;

  constructor(indicator: string, known: readonly string[]) {
    super(
      'INDICATOR_UNKNOWN',
      `unknown indicator ${JSON.stringify(indicator)}; expected one of ${known.join(', ')}`,
    );
    this.indicator = indicator;
  }
}
