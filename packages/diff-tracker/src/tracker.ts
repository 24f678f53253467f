import { type Json, sealJson } from '@sys/core';
import { diffJson, type JsonDiff, type PatchOp } from './diff.js';

/** The result of `DiffTracker.computeDiff`. */
export interface DiffResult extends JsonDiff {
  /** True when there was no snapshot yet: `ops` is one `add ""` of the whole state and `view` is the state. */
  readonly first: boolean;
  /** True when nothing changed: `ops` and `changedPaths` are empty and `view` is `{}`. */
  readonly empty: boolean;
}

/**
 * Remembers what one consumer last saw and tells what changed since. One tracker per consumer: two
 * consumers never share a snapshot, so one's read cannot hide a change from the other. The stored snapshot
 * is deep-frozen (shared with the producer where the producer's objects were already frozen), so later
 * mutation of the producer's objects cannot alter it.
 */
export class DiffTracker {
  #snapshot: Json | undefined;

  /** The snapshot last stored, or undefined before the first. */
  get snapshot(): Json | undefined {
    return this.#snapshot;
  }

  /** What changed between the stored snapshot and `current`. Does not store anything. */
  computeDiff(current: unknown): DiffResult {
    const prev = this.#snapshot;
    if (prev === undefined) {
      const next = sealJson(current);
      const op: PatchOp = Object.freeze({ op: 'add', path: '', value: next });
      return {
        ops: [op],
        changedPaths: [''],
        removedPaths: [],
        view: next,
        next,
        displacedBytes: 0,
        first: true,
        empty: false,
      };
    }
    const diff = diffJson(prev, current);
    return { ...diff, first: false, empty: diff.ops.length === 0 };
  }

  /**
   * Stores `data` as what the consumer has now seen. Pass `result.next` from computeDiff to make this O(1);
   * any other value is validated and frozen (copied where it is mutable).
   */
  updateSnapshot(data: unknown): void {
    this.#snapshot = sealJson(data);
  }

  /** Forgets the snapshot: the next computeDiff is complete. */
  resetSnapshot(): void {
    this.#snapshot = undefined;
  }

  /** computeDiff then updateSnapshot in one step: the usual way to read. */
  commit(current: unknown): DiffResult {
    const result = this.computeDiff(current);
    this.#snapshot = result.next;
    return result;
  }
}
