import { JsonValueError } from './errors.js';
import { appendPointer } from './pointer.js';

/** A JSON scalar. */
export type JsonPrimitive = string | number | boolean | null;
/** A JSON array (read-only: state handed out is never mutated). */
export type JsonArray = readonly Json[];
/** A JSON object (read-only: state handed out is never mutated). */
export type JsonObject = { readonly [key: string]: Json };
/** Any JSON value. */
export type Json = JsonPrimitive | JsonArray | JsonObject;

/** Options every `toJson` takes. */
export interface ToJsonOptions {
  /** Include the extras: bars, historical summary, performance, queues. */
  debug?: boolean;
}

/**
 * The one contract of every component that shows state: the complete state now, pure, no diff state
 * inside. Return the same frozen object for a part that has not changed, so diffs can skip it by reference.
 */
export interface Serializable<T extends Json = Json> {
  /** The complete state now. */
  toJson(options?: ToJsonOptions): T;
}

/** True for a plain object (not an array, not a class instance). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Describes why a primitive is not JSON, or returns null when it is. */
export function describeNonJsonPrimitive(value: unknown): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : `the number ${value}`;
    case 'undefined':
      return 'undefined';
    case 'function':
      return 'a function';
    case 'bigint':
      return 'a BigInt';
    case 'symbol':
      return 'a symbol';
    default:
      return value === null ? null : 'not a primitive';
  }
}

/**
 * Checks that `value` is JSON all the way down and returns it typed as such. Throws JsonValueError naming
 * the pointer of the first bad value: NaN, ±Infinity, undefined, functions, BigInt, symbols, sparse array
 * holes, class instances (Date, Map …) and cycles are refused, never dropped or nulled.
 */
export function assertJson(value: unknown, basePointer = ''): Json {
  walk(value, basePointer, []);
  return value as Json;
}

function walk(value: unknown, pointer: string, ancestors: object[]): void {
  if (value === null || typeof value !== 'object') {
    const bad = describeNonJsonPrimitive(value);
    if (bad !== null) throw new JsonValueError(pointer, bad);
    return;
  }
  if (ancestors.includes(value)) throw new JsonValueError(pointer, 'a cycle');
  ancestors.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new JsonValueError(appendPointer(pointer, i), 'an array hole');
      walk(value[i], appendPointer(pointer, i), ancestors);
    }
  } else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) walk(value[key], appendPointer(pointer, key), ancestors);
  } else {
    throw new JsonValueError(pointer, `an instance of ${value.constructor?.name ?? 'an unknown class'}`);
  }
  ancestors.pop();
}

/** Deep structural equality of two JSON values (object key order does not matter). */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const aIsArray = Array.isArray(a);
  if (aIsArray !== Array.isArray(b)) return false;
  if (aIsArray) {
    const aa = a as JsonArray;
    const bb = b as JsonArray;
    if (aa.length !== bb.length) return false;
    for (let i = 0; i < aa.length; i++) if (!jsonEqual(aa[i] as Json, bb[i] as Json)) return false;
    return true;
  }
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const keys = Object.keys(ao);
  if (keys.length !== Object.keys(bo).length) return false;
  for (const k of keys) {
    if (!Object.hasOwn(bo, k) || !jsonEqual(ao[k] as Json, bo[k] as Json)) return false;
  }
  return true;
}

/** A deep, mutable copy of a JSON value. */
export function cloneJson<T extends Json>(value: T): T {
  return structuredClone(value);
}

const sizeCache = new WeakMap<object, number>();

/**
 * Size in UTF-8 bytes of the compact JSON text of `value`, without building the text. Sizes of objects are
 * cached, so the size of a state whose unchanged parts are the same frozen objects costs only the change.
 * Only cache frozen objects: a mutable object could change under the cache.
 */
export function jsonByteSize(value: Json): number {
  if (value === null) return 4;
  switch (typeof value) {
    case 'number':
      return numberSize(value);
    case 'boolean':
      return value ? 4 : 5;
    case 'string':
      return jsonStringSize(value);
  }
  const cached = sizeCache.get(value as object);
  if (cached !== undefined) return cached;
  let size: number;
  if (Array.isArray(value)) {
    const arr = value as JsonArray;
    size = 2 + Math.max(0, arr.length - 1);
    for (let i = 0; i < arr.length; i++) size += jsonByteSize(arr[i] as Json);
  } else {
    const obj = value as JsonObject;
    const keys = Object.keys(obj);
    size = 2 + Math.max(0, keys.length - 1);
    for (const k of keys) size += jsonStringSize(k) + 1 + jsonByteSize(obj[k] as Json);
  }
  if (Object.isFrozen(value)) sizeCache.set(value as object, size);
  return size;
}

function numberSize(n: number): number {
  // Small integers are the common case (volumes, counts); skip the string conversion for them.
  if (Number.isInteger(n) && n >= 0 && n < 1e9) {
    return n < 10
      ? 1
      : n < 100
        ? 2
        : n < 1000
          ? 3
          : n < 1e4
            ? 4
            : n < 1e5
              ? 5
              : n < 1e6
                ? 6
                : n < 1e7
                  ? 7
                  : n < 1e8
                    ? 8
                    : 9;
  }
  return String(n).length;
}

/** Size in UTF-8 bytes of a string as JSON text (with its quotes). */
export function jsonStringSize(s: string): number {
  // ASCII without characters JSON escapes is the usual case: length + 2 quotes.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return Buffer.byteLength(JSON.stringify(s), 'utf8');
  }
  return s.length + 2;
}

/**
 * Sets an own enumerable property, safe for the key `__proto__` (a plain assignment would change the
 * prototype instead of adding the key, silently losing data).
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
