import { SysError } from '@sys/core';
import { quoteInput } from './quote.js';

/** Longest symbol the rule accepts, in characters. */
export const SYMBOL_MAX_LENGTH = 64;

/**
 * The one symbol rule, in words, for error messages and docs: it is checked where a symbol enters (a bar
 * file, a config, a session), so a stored symbol can always be replayed.
 */
export const SYMBOL_RULE =
  `1 to ${SYMBOL_MAX_LENGTH} characters of A-Z, 0-9 and . - / ^ =, starting with a letter, a digit or ^ ` +
  '(upper case ASCII; no spaces, commas, quotes or other characters)';

// Upper case ASCII only: no name can be a property of Object.prototype (`__proto__`, `constructor`), a space
// or a comma (which a CSV row would split), nor a replacement character left by bad UTF-8.
const SYMBOL = /^[A-Z0-9^][A-Z0-9./^=-]{0,63}$/;

/** Why `symbol` breaks the symbol rule, or undefined when it is a valid symbol. */
export function symbolProblem(symbol: unknown): string | undefined {
  if (typeof symbol !== 'string') return `a symbol must be text, got ${typeof symbol}`;
  if (SYMBOL.test(symbol)) return undefined;
  if (symbol.length === 0) return 'the symbol is empty';
  if (symbol.length > SYMBOL_MAX_LENGTH)
    return `symbol ${quoteInput(symbol)} has ${symbol.length} characters; ${SYMBOL_RULE}`;
  if (symbol.includes('\uFFFD'))
    return `symbol ${quoteInput(symbol)} holds U+FFFD (bytes that were not valid UTF-8); ${SYMBOL_RULE}`;
  const upper = symbol.toUpperCase();
  const hint = upper !== symbol && SYMBOL.test(upper) ? ` (write ${upper})` : '';
  return `symbol ${quoteInput(symbol)} is not valid${hint}; ${SYMBOL_RULE}`;
}

/** True when `symbol` follows the symbol rule. */
export function isSymbol(symbol: unknown): symbol is string {
  return typeof symbol === 'string' && SYMBOL.test(symbol);
}

/** A symbol that breaks the symbol rule; names where it came from. */
export class SymbolError extends SysError {
  /** The symbol as given. */
  readonly symbol: unknown;

  constructor(symbol: unknown, where?: string) {
    super(
      'SYMBOL_INVALID',
      `${where === undefined ? '' : `${where}: `}${symbolProblem(symbol) ?? 'invalid symbol'}`,
    );
    this.symbol = symbol;
  }
}

/** Returns `symbol` when it follows the symbol rule; throws SymbolError naming `where` otherwise. */
export function assertSymbol(symbol: unknown, where?: string): string {
  if (!isSymbol(symbol)) throw new SymbolError(symbol, where);
  return symbol;
}
