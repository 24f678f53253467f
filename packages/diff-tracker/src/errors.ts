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

/** A JSON Patch operation that is malformed or cannot be applied; the document is left untouched. */
export class PatchError extends SysError {
  /** Index of the failing operation in the patch. */
  readonly opIndex: number;
  /** The `op` of the failing operation (or `?` when it had none). */
  readonly op: string;
  /** The `path` of the failing operation. */
  readonly path: string;

  constructor(opIndex: number, op: string, path: string, reason: string) {
    super('JSON_PATCH', `patch operation #${opIndex} (${op} ${JSON.stringify(path)}) failed: ${reason}`);
    this.opIndex = opIndex;
    this.op = op;
    this.path = path;
  }
}
