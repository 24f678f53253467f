import { SysError } from '@sys/core';
import { symbolProblem } from '@sys/market-data';
/** A bar outside the trading day being held (before its pre-market or after its post-market). */
export class SessionDayError extends SysError {
  constructor(where: string, detail: string) {
    super('SESSION_DAY', `${where}: ${detail}; start the right day first (startDay) or drop the bar`);
  }
}

/** A symbol that is not in the session. */
export class UnknownSymbolError extends SysError {
  /** The symbol asked for. */
  readonly symbol: string;

  constructor(symbol: string, known: readonly string[]) {
    const list =
      known.length === 0 ? 'none' : known.slice(0, 10).join(', ') + (known.length > 10 ? ', …' : '');
    super('UNKNOWN_SYMBOL', `unknown symbol ${JSON.stringify(symbol)} (session has: ${list}); add it first`);
    this.symbol = symbol;
  }
}

/** A symbol name that breaks the one symbol rule of @sys/market-data. */
export class SymbolNameError extends SysError {
  constructor(symbol: unknown) {
    super('SYMBOL_NAME', symbolProblem(symbol) ?? `invalid symbol ${String(symbol)}`);
  }
}

/** The same indicator (same name, parameters and interval) declared twice for one symbol. */
export class IndicatorDeclarationError extends SysError {
  constructor(symbol: string, key: string) {
    super('INDICATOR_DECLARATION', `${symbol}: indicator ${key} is declared twice; declare each once`);
  }
}
