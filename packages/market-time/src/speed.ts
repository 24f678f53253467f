import { InvalidSpeedError } from './errors.js';

/** Replay speed: market milliseconds per wall millisecond (1 = real time, 60 = a market minute per second), or `'max'` (no waiting). */
export type Speed = number | 'max';

const DECIMAL = /^\d+(?:\.\d+)?$/;

/** Reads a speed from a number or text (`60`, `'60'`, `'0.5'`, `'max'`); anything else throws {@link InvalidSpeedError}. */
export function parseSpeed(input: unknown): Speed {
  if (input === 'max') return 'max';
  let value: number;
  if (typeof input === 'number') {
    value = input;
  } else if (typeof input === 'string') {
    const text = input.trim();
    if (text === 'max') return 'max';
    if (!DECIMAL.test(text)) throw new InvalidSpeedError(input, 'not a number');
    value = Number(text);
  } else {
    throw new InvalidSpeedError(input, 'expected a number or a string');
  }
  if (Number.isNaN(value)) throw new InvalidSpeedError(input, 'NaN is not a speed');
  if (!Number.isFinite(value)) throw new InvalidSpeedError(input, "not finite (for no waiting use 'max')");
  if (value <= 0)
    throw new InvalidSpeedError(input, 'must be greater than 0 (market time would never advance)');
  return value;
}
