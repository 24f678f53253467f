/** Most characters of input an error message quotes; longer input is cut, with its length said. */
export const QUOTE_MAX_CHARS = 200;

/**
 * Input quoted for an error message (JSON string syntax, so control characters are visible), cut to
 * QUOTE_MAX_CHARS: a message must never repeat a whole 50 MB line.
 */
export function quoteInput(text: string): string {
  if (text.length <= QUOTE_MAX_CHARS) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, QUOTE_MAX_CHARS))}… (${text.length.toLocaleString('en-US')} characters)`;
}
