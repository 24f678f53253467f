import { JsonValueError } from './errors.js';
import { describeNonJsonPrimitive, type Json, type JsonObject, type ToJsonOptions } from './json.js';
import { appendPointer } from './pointer.js';
import { markSealed, sealJson } from './seal.js';

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

/** Options of a {@link JsonMemo}. */
export interface JsonMemoOptions {
  /**
   * `build` returns a new container (object or array) whose every object or array value is already
   * sealed: the answer of another JsonMemo or of `sealJson`. The memo then checks only its scalar values
   * and marks it sealed, without looking up or walking the containers inside: for a symbol's figures
   * beside its memoised parts, a map of a thousand symbols' JSON, or the rows of a table. A container that
   * breaks the promise escapes the JSON check, so use it only where the parts are sealed by construction.
   * Default false: the memo seals what `build` returns (each part looked up, unsealed ones walked).
   */
  partsSealed?: boolean;
}

/**
 * The same sealed JSON while nothing it depends on changed: one slot per `debug` face, so a component
 * that answers `toJson({ debug })` keeps both answers. Gives back the previous object by reference while
 * the key is unchanged (so a differ skips it without looking inside), else builds, seals and keeps a new
 * one. A part that does not depend on `debug` passes `undefined` as options and uses one face only.
 */
export class JsonMemo<T extends Json = Json> {
  readonly #partsSealed: boolean;
  #key0: MemoKey | typeof NONE = NONE;
  #value0: T | null = null;
  #key1: MemoKey | typeof NONE = NONE;
  #value1: T | null = null;

  constructor(options: JsonMemoOptions = {}) {
    this.#partsSealed = options.partsSealed === true;
  }

  /**
   * The JSON of the face `options.debug` for `key`: the kept one when `key` matches the last one of that
   * face, else `build(debug)`, frozen and sealed (its parts already sealed are checked by reference, in
   * O(1) each; with `partsSealed`, not at all). `build` must return a fresh value or sealed parts: the
   * memo freezes what it returns. A JsonValueError from the seal leaves the face as it was.
   */
  get(options: ToJsonOptions | undefined, key: MemoKey, build: (debug: boolean) => T): T {
    const debug = options?.debug === true;
    if (debug) {
      if (sameKey(this.#key1, key)) return this.#value1 as T;
      const value = this.#seal(build(true));
      this.#key1 = key;
      this.#value1 = value;
      return value;
    }
    if (sameKey(this.#key0, key)) return this.#value0 as T;
    const value = this.#seal(build(false));
    this.#key0 = key;
    this.#value0 = value;
    return value;
  }

  #seal(value: T): T {
    if (!this.#partsSealed || value === null || typeof value !== 'object') {
      return sealJson(Object.freeze(value)) as T;
    }
    // Only the scalars are checked: the containers inside are sealed already, as partsSealed promises.
    if (Array.isArray(value)) for (let i = 0; i < value.length; i++) checkScalar(value[i], i);
    else for (const key in value) checkScalar((value as JsonObject)[key], key);
    markSealed(Object.freeze(value));
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

/** Throws JsonValueError for a scalar JSON cannot carry; containers pass (the caller vouches for them). */
function checkScalar(value: unknown, key: string | number): void {
  if (value !== null && typeof value === 'object') return;
  const bad = describeNonJsonPrimitive(value);
  if (bad !== null) throw new JsonValueError(appendPointer('', key), bad);
}
