import type { Json, ToJsonOptions } from './json.js';
import { sealJson } from './seal.js';

/**
 * What a {@link JsonMemo} compares to decide whether its JSON is still current:
 * - a **number**: a version counter the owner bumps on every change that can alter this JSON. The hot-path
 *   form: nothing is allocated to ask.
 * - an **array** of parts (a fresh literal per call, never mutated afterwards: the memo keeps it): the
 *   value is a function of a few things, e.g. children's sealed JSON (compared by reference) or a handful
 *   of numbers. Compared element by element with `===`, so `NaN` never matches.
 * - a **string**: only when the key already is one (an id, a formatted time). Never concatenate parts into
 *   a string to key a memo: pass them as an array instead.
 */
export type MemoKey = number | string | readonly unknown[];

/** No key yet: the first `get` of a face always builds. */
const NONE: unique symbol = Symbol('none');

function sameKey(stored: MemoKey | typeof NONE, key: MemoKey): boolean {
  if (stored === key) return true;
  if (typeof stored !== 'object' || typeof key !== 'object') return false;
  if (stored.length !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (stored[i] !== key[i]) return false;
  return true;
}

/**
 * The same sealed JSON while nothing it depends on changed: one slot per `debug` face, so a component
 * that answers `toJson({ debug })` keeps both answers. Gives back the previous object by reference while
 * the key is unchanged (so a differ skips it without looking inside), else builds, seals and keeps a new
 * one. A part that does not depend on `debug` passes `undefined` as options and uses one face only.
 */
export class JsonMemo<T extends Json = Json> {
  #key0: MemoKey | typeof NONE = NONE;
  #value0: T | null = null;
  #key1: MemoKey | typeof NONE = NONE;
  #value1: T | null = null;

  /**
   * The JSON of the face `options.debug` for `key`: the kept one when `key` matches the last one of that
   * face, else `build(debug)`, frozen and sealed (its parts already sealed are checked by reference, in
   * O(1) each). `build` must return a fresh value or sealed parts: the memo freezes what it returns. A
   * JsonValueError from the seal leaves the face as it was.
   */
  get(options: ToJsonOptions | undefined, key: MemoKey, build: (debug: boolean) => T): T {
    const debug = options?.debug === true;
    if (debug) {
      if (sameKey(this.#key1, key)) return this.#value1 as T;
      const value = sealJson(Object.freeze(build(true))) as T;
      this.#key1 = key;
      this.#value1 = value;
      return value;
    }
    if (sameKey(this.#key0, key)) return this.#value0 as T;
    const value = sealJson(Object.freeze(build(false))) as T;
    this.#key0 = key;
    this.#value0 = value;
    return value;
  }

  /** Forgets both faces: the next `get` builds whatever its key. */
  invalidate(): void {
    this.#key0 = NONE;
    this.#value0 = null;
    this.#key1 = NONE;
    this.#value1 = null;
  }
}
