import { quoteInput } from './quote.js';

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL = /^([+-]?)(nan|inf|infinity)$/i;

/** Why a numeric field was refused; the reader turns it into a located format error. */
export class NumberFieldError extends Error {}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Starts with a digit (after an optional minus) not followed by x/b/o, and ends with a digit. */
function isPlainEnds(text: string): boolean {
  const at = text.charCodeAt(0) === 45 ? 1 : 0;
  const second = text.charCodeAt(at + 1) | 32;
  return (
    isDigit(text.charCodeAt(at)) &&
    isDigit(text.charCodeAt(text.length - 1)) &&
    second !== 120 &&
    second !== 98 &&
    second !== 111
  );
}

/**
 * Parses a decimal field. `NaN` and `Infinity` are read as what they say so that the bar validation, not
 * the parser, refuses them by rule; anything else that is not a plain decimal number is malformed.
 */
export function parseNumberField(text: string, column: string): number {
  // Number() alone accepts '', ' 1', '0x1f' and '1e'… wrongly or not at all; a plain decimal's first and
  // last characters settle most rows without the regular expression.
  const n = Number(text);
  if (!Number.isNaN(n) && isPlainEnds(text)) return n;
  if (DECIMAL.test(text)) return Number(text);
  const special = SPECIAL.exec(text);
  if (special !== null) {
    if (special[2]?.toLowerCase() === 'nan') return Number.NaN;
    return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  throw new NumberFieldError(`${column} ${quoteInput(text)} is not a number`);
}

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * Reads a plain decimal (`-?digits[.digits]`, at most 15 digits) from `text[start, end)` without making a
 * substring, or returns NaN when the field needs `parseNumberField`. Exact: a mantissa below 2^53 divided by
 * an exact power of ten is correctly rounded, so this equals `Number(text)`.
 */
export function fastDecimal(text: string, start: number, end: number): number {
  let i = start;
  const negative = text.charCodeAt(i) === 45;
  if (negative) i++;
  let mantissa = 0;
  let digits = 0;
  let decimals = -1;
  for (; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      mantissa = mantissa * 10 + (code - 48);
      digits++;
      if (decimals >= 0) decimals++;
    } else if (code === 46 && decimals < 0) {
      decimals = 0;
    } else {
      return Number.NaN;
    }
  }
  if (digits === 0 || digits > 15) return Number.NaN;
  const value = decimals > 0 ? mantissa / (POW10[decimals] ?? Number.NaN) : mantissa;
  return negative ? -value : value;
}
