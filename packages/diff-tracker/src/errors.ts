import { SysError } from '@sys/core';

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
