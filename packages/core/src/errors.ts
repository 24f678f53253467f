/** The marker every SysError carries; `Symbol.for` so two copies of this package agree on it. */
const SYS_ERROR = Symbol.for('@sys/core/SysError');

/**
 * The base of every error sys throws on purpose. `code` is stable and machine-readable; the message says
 * what went wrong, where, and what to do about it.
 */
export class SysError extends Error {
  /** Stable, machine-readable error code, e.g. `JSON_VALUE`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    Object.defineProperty(this, SYS_ERROR, { value: true });
  }

  /**
   * True for any SysError, also one made by another copy of this package (where `instanceof` says no),
   * e.g. two versions installed side by side.
   */
  static isInstance(error: unknown): error is SysError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as { [SYS_ERROR]?: unknown })[SYS_ERROR] === true &&
      typeof (error as { code?: unknown }).code === 'string'
    );
  }
}

/** A value that JSON cannot carry (NaN, ±Infinity, undefined, a function, a BigInt, a cycle, a class instance). */
export class JsonValueError extends SysError {
  /** RFC 6901 pointer of the offending value, relative to the document given. */
  readonly pointer: string;

  constructor(pointer: string, what: string) {
    super(
      'JSON_VALUE',
      `${what} at ${pointer === '' ? '(root)' : pointer} cannot be represented in JSON; fix the producer so it never emits it`,
    );
    this.pointer = pointer;
  }
}

/** A malformed JSON Pointer (RFC 6901). */
export class PointerError extends SysError {
  /** The pointer text as given. */
  readonly pointer: string;

  constructor(pointer: string, reason: string) {
    super('JSON_POINTER', `invalid JSON Pointer ${JSON.stringify(pointer)}: ${reason}`);
    this.pointer = pointer;
  }
}

/** An argument outside what a function accepts (a negative or NaN duration …); says what was expected. */
export class ArgumentError extends SysError {
  /** The parameter's name. */
  readonly argument: string;

  constructor(argument: string, value: unknown, expected: string) {
    super('ARGUMENT', `${argument} must be ${expected}, got ${describeValue(value)}`);
    this.argument = argument;
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}
