import {
  appendPointer,
  isPlainObject,
  type Json,
  type JsonArray,
  type JsonObject,
  JsonValueError,
  markSealed,
  sealJson,
  setOwn,
} from '@sys/core';
import { jsonByteSize, jsonStringSize } from './json.js';

/** One RFC 6902 JSON Patch operation. */
export type PatchOp =
  | { readonly op: 'add'; readonly path: string; readonly value: Json }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'replace'; readonly path: string; readonly value: Json }
  | { readonly op: 'move'; readonly from: string; readonly path: string }
  | { readonly op: 'copy'; readonly from: string; readonly path: string }
  | { readonly op: 'test'; readonly path: string; readonly value: Json };

/** What changed between two JSON states. */
export interface JsonDiff {
  /** RFC 6902 operations that turn the old state into the new one; array appends are `add …/-`. */
  readonly ops: readonly PatchOp[];
  /** RFC 6901 pointers of every added or replaced value (appended rows by their real index). */
  readonly changedPaths: readonly string[];
  /** RFC 6901 pointers of every removed key or array element. */
  readonly removedPaths: readonly string[];
  /**
   * The partial object of the plan: only changed keys, array changes as objects keyed by row index.
   * `{}` when nothing changed. Removals are not in it: see `removedPaths`.
   */
  readonly view: Json;
  /** The new state, deep-frozen, sharing every unchanged subtree with the old one. */
  readonly next: Json;
  /** Estimate of the bytes the old state holds that the new one no longer shares (for memory bounds). */
  readonly displacedBytes: number;
}

/**
 * Compact JSON size in bytes of a patch (what `jsonByteSize(ops)` gives), without walking each operation
 * as a generic object: a delta of thousands of scalar replacements is sized at every read.
 */
export function patchByteSize(ops: readonly PatchOp[]): number {
  let size = 2 + Math.max(0, ops.length - 1);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as PatchOp;
    // {"op":"…","path":…} is 17 bytes around the op name and the path text.
    size += 17 + op.op.length + jsonStringSize(op.path);
    if ('value' in op) size += 9 + jsonByteSize(op.value); // ,"value":
    if ('from' in op) size += 8 + jsonStringSize(op.from); // ,"from":
  }
  return size;
}

/** Marks "no change" in the recursive diff (distinct from every JSON value). */
const NONE: unique symbol = Symbol('none');
type View = Json | typeof NONE;

interface Acc {
  ops: PatchOp[];
  changed: string[];
  removed: string[];
  displaced: number;
  /** Containers of the new value on the path being diffed, to name a cycle where it closes. */
  ancestors: Set<object>;
}

/**
 * Diffs a sealed previous state against any new value. Work follows the change: identical references are
 * skipped, and an array whose old rows are a prefix of the new one costs one reference check per old row
 * plus the new rows. The new value is validated where it differs, so a bad value throws before anything is
 * returned (the previous state is never touched: it is frozen).
 */
export function diffJson(prev: Json, next: unknown): JsonDiff {
  const acc: Acc = { ops: [], changed: [], removed: [], displaced: 0, ancestors: new Set() };
  const [stored, view] = diffValue(prev, next, '', acc);
  return {
    ops: Object.freeze(acc.ops),
    changedPaths: Object.freeze(acc.changed),
    removedPaths: Object.freeze(acc.removed),
    view: view === NONE ? EMPTY_VIEW : view,
    next: stored,
    displacedBytes: acc.displaced,
  };
}

const EMPTY_VIEW: Json = Object.freeze({});

function diffValue(prev: Json, next: unknown, ptr: string, acc: Acc): [Json, View] {
  if (prev === next) return [prev, NONE];
  if (next !== null && typeof next === 'object' && prev !== null && typeof prev === 'object') {
    const nextIsArray = Array.isArray(next);
    const sameKind = nextIsArray ? Array.isArray(prev) : !Array.isArray(prev) && isPlainObject(next);
    if (sameKind) {
      if (acc.ancestors.has(next)) throw new JsonValueError(ptr, 'a cycle');
      acc.ancestors.add(next);
      const out = nextIsArray
        ? diffArray(prev as JsonArray, next as unknown[], ptr, acc)
        : diffObject(prev as JsonObject, next as Record<string, unknown>, ptr, acc);
      acc.ancestors.delete(next);
      return out;
    }
  }
  const value = sealJson(next, ptr, acc.ancestors);
  if (prev === value) return [prev, NONE];
  const op: PatchOp = Object.freeze({ op: 'replace', path: ptr, value });
  acc.ops.push(op);
  acc.changed.push(ptr);
  acc.displaced += displacedSize(prev);
  return [value, value];
}

function diffObject(prev: JsonObject, next: Record<string, unknown>, ptr: string, acc: Acc): [Json, View] {
  // Any op emitted below means this object changed (a removal deep inside has no view entry).
  const opsBefore = acc.ops.length;
  let view: Record<string, Json> | null = null;
  const keys = Object.keys(next);
  const stored: Json[] = new Array(keys.length);
  let sameAsNext = Object.isFrozen(next);
  let shared = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const child = next[key];
    if (!Object.hasOwn(prev, key)) {
      const path = appendPointer(ptr, key);
      const s = sealJson(child, path, acc.ancestors);
      acc.ops.push(Object.freeze({ op: 'add', path, value: s }));
      acc.changed.push(path);
      view ??= {};
      setOwn(view, key, s);
      stored[i] = s;
      if (s !== child) sameAsNext = false;
      continue;
    }
    shared++;
    const old = prev[key] as Json;
    if (old === child) {
      // Same reference: the common case for a large map where few entries changed. No pointer is built.
      stored[i] = old;
      continue;
    }
    const [s, v] = diffValue(old, child, appendPointer(ptr, key), acc);
    if (v !== NONE) {
      view ??= {};
      setOwn(view, key, v);
    }
    stored[i] = s;
    if (s !== child) sameAsNext = false;
  }
  if (shared < countKeys(prev)) {
    for (const key in prev) {
      if (Object.hasOwn(next, key)) continue;
      const path = appendPointer(ptr, key);
      acc.ops.push(Object.freeze({ op: 'remove', path }));
      acc.removed.push(path);
      acc.displaced += displacedSize(prev[key] as Json);
    }
  }
  const changed = acc.ops.length > opsBefore;
  if (sameAsNext) {
    // The producer's own frozen object is valid all the way down: keep it, so the next diff skips it.
    markSealed(next);
    if (changed) acc.displaced += containerSize(prev);
    return [next as JsonObject, view ?? NONE];
  }
  if (!changed) return [prev, NONE];
  const out: Record<string, Json> = {};
  for (let i = 0; i < keys.length; i++) setOwn(out, keys[i] as string, stored[i]);
  Object.freeze(out);
  markSealed(out);
  acc.displaced += containerSize(prev);
  return [out, view ?? NONE];
}

const keyCounts = new WeakMap<object, number>();

/** Key count of a sealed object, remembered: sealed objects never change. */
function countKeys(obj: JsonObject): number {
  let n = keyCounts.get(obj);
  if (n === undefined) {
    n = Object.keys(obj).length;
    keyCounts.set(obj, n);
  }
  return n;
}

function diffArray(prev: JsonArray, next: unknown[], ptr: string, acc: Acc): [Json, View] {
  const opsBefore = acc.ops.length;
  let view: Record<string, Json> | null = null;
  const common = Math.min(prev.length, next.length);
  let stored: Json[] | null = null;
  let sameAsNext = Object.isFrozen(next);
  for (let i = 0; i < common; i++) {
    const child = next[i];
    const old = prev[i] as Json;
    if (old === child) continue; // the append fast path: shared rows cost one comparison
    if (!(i in next)) throw new JsonValueError(appendPointer(ptr, i), 'an array hole');
    const [s, v] = diffValue(old, child, appendPointer(ptr, i), acc);
    if (v !== NONE) {
      view ??= {};
      view[i] = v;
    }
    if (s !== child) {
      sameAsNext = false;
      stored ??= next.slice() as Json[];
      stored[i] = s;
    }
  }
  for (let i = prev.length; i < next.length; i++) {
    const path = appendPointer(ptr, i);
    if (!(i in next)) throw new JsonValueError(path, 'an array hole');
    const child = next[i];
    const s = sealJson(child, path, acc.ancestors);
    acc.ops.push(Object.freeze({ op: 'add', path: `${ptr}/-`, value: s }));
    acc.changed.push(path);
    view ??= {};
    view[i] = s;
    if (s !== child) {
      sameAsNext = false;
      stored ??= next.slice() as Json[];
      stored[i] = s;
    }
  }
  for (let i = prev.length - 1; i >= next.length; i--) {
    const path = appendPointer(ptr, i);
    acc.ops.push(Object.freeze({ op: 'remove', path }));
    acc.removed.push(path);
    acc.displaced += displacedSize(prev[i] as Json);
  }
  const changed = acc.ops.length > opsBefore;
  if (!changed) {
    if (sameAsNext) {
      markSealed(next);
      return [next as JsonArray, NONE];
    }
    return [prev, NONE];
  }
  acc.displaced += containerSize(prev);
  if (sameAsNext) {
    markSealed(next);
    return [next as JsonArray, view ?? NONE];
  }
  const out = Object.freeze(stored ?? (next.slice() as Json[]));
  markSealed(out);
  return [out, view ?? NONE];
}

/** Rough heap bytes a replaced or removed value held: a slot for a scalar, its text for a string. */
function displacedSize(value: Json): number {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? 16 + value.length : 16;
  return jsonByteSize(value);
}

/** Rough heap bytes of one container's own slots (its children are counted where they are displaced). */
function containerSize(value: Json): number {
  if (value === null || typeof value !== 'object') return 8;
  return 16 + 8 * (Array.isArray(value) ? value.length : Object.keys(value).length);
}
