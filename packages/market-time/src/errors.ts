import { SysError } from '@sys/core';

/** Shows a bad input in a message without throwing on values JSON cannot carry. */
function show(input: unknown): string {
  if (typeof input === 'string') return JSON.stringify(input);
  if (typeof input === 'number' || typeof input === 'bigint' || typeof input === 'boolean')
    return String(input);
  if (input === null || input === undefined) return String(input);
  return `a ${typeof input}`;
}

/** A date that is not a real `YYYY-MM-DD` day, or lies outside what the calendar covers. */
export class InvalidDateError extends SysError {
  /** The value as given. */
  readonly input: unknown;

  constructor(input: unknown, reason: string) {
    super('INVALID_DATE', `invalid date ${show(input)}: ${reason}`);
    this.input = input;
  }
}

/** A time of day, an epoch-ms instant or a duration that is malformed or does not exist. */
export class InvalidTimeError extends SysError {
  /** The value as given. */
  readonly input: unknown;

  constructor(input: unknown, reason: string) {
    super('INVALID_TIME', `invalid time ${show(input)}: ${reason}`);
    this.input = input;
  }
}

/** A replay speed that is not a positive finite number or `'max'` (0 would never advance, so it is refused). */
export class InvalidSpeedError extends SysError {
  /** The value as given. */
  readonly input: unknown;

  constructor(input: unknown, reason: string) {
    super(
      'INVALID_SPEED',
      `invalid speed ${show(input)}: ${reason}; use a positive number (1 = real time, 60 = one market minute per second) or 'max'`,
    );
    this.input = input;
  }
}

/** A clock operation that its current state does not allow (stepping while running, moving time backwards). */
export class ClockStateError extends SysError {
  constructor(message: string) {
    super('CLOCK_STATE', message);
  }
}
