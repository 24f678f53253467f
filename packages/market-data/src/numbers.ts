const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL = /^([+-]?)(nan|inf|infinity)$/i;

/** Why a numeric field was refused; the reader turns it into a located format error. */
export class NumberFieldError extends Error {}

/**
 * Parses a decimal field. `NaN` and `Infinity` are read as what they say so that the bar validation, not
 * the parser, refuses them by rule; anything else that is not a plain decimal number is malformed.
 */
export function parseNumberField(text: string, column: string): number {
  if (DECIMAL.test(text)) return Number(text);
  const special = SPECIAL.exec(text);
  if (special !== null) {
    if (special[2]?.toLowerCase() === 'nan') return Number.NaN;
    return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  throw new NumberFieldError(`${column} ${JSON.stringify(text)} is not a number`);
}
