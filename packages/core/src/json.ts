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
