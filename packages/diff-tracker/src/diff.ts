import {
  appendPointer,
  escapePointerToken,
  isPlainObject,
  isSealed,
  type Json,
  type JsonArray,
  type JsonObject,
  JsonValueError,
  markSealed,
  sealJson,
  setOwn,
} from '@sys/core';
import { jsonByteSize, jsonStringSize, knownByteSize, numberSize, rememberByteSize } from './json.js';

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

/**
 * What `diffJson` would give, counted and sized (and built only when asked): the change feed decides from
 * the sizes whether a delta or a snapshot is sent, and a delta that loses to the snapshot is never built.
 */
export interface DiffMeasure {
  /** The state `diffJson(prev, next).next` is: the same nodes of `prev` and `next` kept, the same copied. */
  readonly next: Json;
  /** `diffJson(prev, next).ops.length`. */
  readonly opCount: number;
  /** `patchByteSize(diffJson(prev, next).ops)`. */
  readonly patchBytes: number;
  /** `diffJson(prev, next).displacedBytes`. */
  readonly displacedBytes: number;
  /** The diff itself when it was built in the same walk; else undefined (build it from prev and `next`). */
  readonly diff: JsonDiff | undefined;
}

/** Marks "no change" in the recursive diff (distinct from every JSON value). */
const NONE: unique symbol = Symbol('none');
type View = Json | typeof NONE;

// Compact JSON text of one op around its path text and value text (see patchByteSize).
const REPLACE_BYTES = 17 + 7 + 9;
const ADD_BYTES = 17 + 3 + 9;
const REMOVE_BYTES = 17 + 6;

/**
 * One walk's flags and results. Which values are ops and which nodes make the new state is decided the
 * same way whatever the flags: they only choose what is recorded about it.
 */
interface Acc {
  /** Build the ops, paths and view. */
  readonly build: boolean;
  /** Count the bytes of each op's JSON text. */
  readonly measure: boolean;
  /**
   * Measuring, and the old state's JSON size is known: the new state's size is the old one plus how much
   * each change grew it, so sizing it costs the change, not the state.
   */
  readonly sized: boolean;
  /**
   * Mark every node kept as sealed (diffJson, whose callers may seal the result again). The feed does not:
   * a mark is an insertion into a large weak set per node per read, and the feed never seals its state
   * again; a node not marked is only checked again if it is ever sealed on its own.
   */
  readonly mark: boolean;
  readonly ops: PatchOp[];
  readonly changed: string[];
  readonly removed: string[];
  opCount: number;
  /** Sum of each op's own JSON text (measuring only). */
  opBytes: number;
  displaced: number;
  /**
   * Containers of the new value on the path being diffed, to name a cycle where it closes. A stack (a few
   * entries deep) is cheaper to keep than a set; a set is made from it only to seal a new subtree.
   */
  readonly ancestors: object[];
  /** Out: the view of the value just diffed (building only). Set by every diffValue for its caller. */
  view: View;
  /** Out: how many bytes the JSON text of the value just diffed grew (sized only; negative: shrank). */
  grown: number;
}

function newAcc(build: boolean, measure: boolean, sized: boolean, mark: boolean): Acc {
  return {
    build,
    measure,
    sized,
    mark,
    ops: [],
    changed: [],
    removed: [],
    opCount: 0,
    opBytes: 0,
    displaced: 0,
    ancestors: [],
    view: NONE,
    grown: 0,
  };
}

/**
 * Diffs a sealed previous state against any new value. Work follows the change: identical references are
 * skipped, and an array whose old rows are a prefix of the new one costs one reference check per old row
 * plus the new rows. The new value is validated where it differs, so a bad value throws before anything is
 * returned (the previous state is never touched: it is frozen).
 */
export function diffJson(prev: Json, next: unknown): JsonDiff {
  const acc = newAcc(true, false, false, true);
  return toDiff(acc, diffValue(prev, next, '', 2, undefined, acc));
}

/**
 * `diffJson` without marking the nodes it keeps as sealed: for a caller that keeps the result only as
 * state it never seals again (the change feed).
 */
export function buildJson(prev: Json, next: unknown): JsonDiff {
  const acc = newAcc(true, false, false, false);
  return toDiff(acc, diffValue(prev, next, '', 2, undefined, acc));
}

function toDiff(acc: Acc, next: Json): JsonDiff {
  return {
    ops: Object.freeze(acc.ops),
    changedPaths: Object.freeze(acc.changed),
    removedPaths: Object.freeze(acc.removed),
    view: acc.view === NONE ? EMPTY_VIEW : acc.view,
    next,
    displacedBytes: acc.displaced,
  };
}

/**
 * The walk of `diffJson`, validating and sealing the same way, counting and sizing the ops, and building
 * them only when `build` is true. When the size of `prev` is known (it was measured, e.g. for a snapshot),
 * the size of the new state is known afterwards too, at the cost of what changed.
 */
export function measureJson(prev: Json, next: unknown, build = false): DiffMeasure {
  const prevBytes = prev !== null && typeof prev === 'object' ? knownByteSize(prev) : undefined;
  const sized =
    prevBytes !== undefined &&
    !(next !== null && typeof next === 'object' && knownByteSize(next) !== undefined);
  const acc = newAcc(build, true, sized, false);
  const stored = diffValue(prev, next, '', 2, undefined, acc);
  if (sized && stored !== prev && stored !== null && typeof stored === 'object') {
    rememberByteSize(stored, (prevBytes as number) + acc.grown);
  }
  return {
    next: stored,
    opCount: acc.opCount,
    patchBytes: 2 + Math.max(0, acc.opCount - 1) + acc.opBytes,
    displacedBytes: acc.displaced,
    diff: build ? toDiff(acc, stored) : undefined,
  };
}

const EMPTY_VIEW: Json = Object.freeze({});

/** The pointer of `key` under `ptr`; `ptr` itself when `key` is undefined (the root). */
function pointerOf(ptr: string, key: string | number | undefined): string {
  return key === undefined ? ptr : appendPointer(ptr, key);
}

/** JSON text size of `pointerOf(ptr, key)`, from the size of `ptr`'s (quotes included). */
function pointerBytesOf(ptrBytes: number, key: string | number | undefined): number {
  return key === undefined ? ptrBytes : ptrBytes + 1 + tokenBytes(key);
}

/** JSON text size of one escaped pointer token, without quotes: the same as its text in a path. */
function tokenBytes(token: string | number): number {
  if (typeof token === 'number') return numberSize(token);
  let n = token.length;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
      return jsonStringSize(escapePointerToken(token)) - 2;
    }
    if (c === 0x7e || c === 0x2f) n++; // ~ and / are escaped as ~0 and ~1
  }
  return n;
}

/**
 * `sealJson` of the child `key` of `ptr`, without building the child's pointer in the common cases: a
 * valid primitive or an already sealed node (the pointer is only needed to name a bad value).
 */
function sealChild(child: unknown, ptr: string, key: string | number | undefined, acc: Acc): Json {
  switch (typeof child) {
    case 'string':
    case 'boolean':
      return child;
    case 'number':
      if (Number.isFinite(child)) return child;
      break;
    case 'object':
      if (child === null || isSealed(child as Json)) return child as Json;
      break;
  }
  return sealJson(child, pointerOf(ptr, key), new Set(acc.ancestors));
}

/**
 * Diffs the child `key` of the node at `ptr` (or the root, with `key` undefined). Returns the value to
 * keep and sets `acc.view` (building) and `acc.grown` (sized) for it.
 */
function diffValue(
  prev: Json,
  next: unknown,
  ptr: string,
  ptrBytes: number,
  key: string | number | undefined,
  acc: Acc,
): Json {
  if (prev === next) {
    acc.view = NONE;
    acc.grown = 0;
    return prev;
  }
  if (next !== null && typeof next === 'object' && prev !== null && typeof prev === 'object') {
    const nextIsArray = Array.isArray(next);
    const sameKind = nextIsArray ? Array.isArray(prev) : !Array.isArray(prev) && isPlainObject(next);
    if (sameKind) {
      const path = pointerOf(ptr, key);
      const ancestors = acc.ancestors;
      if (ancestors.includes(next)) throw new JsonValueError(path, 'a cycle');
      ancestors.push(next);
      const pathBytes = acc.measure ? pointerBytesOf(ptrBytes, key) : 0;
      const out = nextIsArray
        ? diffArray(prev as JsonArray, next as unknown[], path, pathBytes, acc)
        : diffObject(prev as JsonObject, next as Record<string, unknown>, path, pathBytes, acc);
      ancestors.pop();
      return out;
    }
  }
  const value = sealChild(next, ptr, key, acc);
  acc.grown = 0;
  if (prev === value) {
    acc.view = NONE;
    return prev;
  }
  if (acc.build) {
    const path = pointerOf(ptr, key);
    acc.ops.push(Object.freeze({ op: 'replace', path, value }));
    acc.changed.push(path);
  }
  if (acc.measure) {
    const size = jsonByteSize(value);
    acc.opBytes += REPLACE_BYTES + pointerBytesOf(ptrBytes, key) + size;
    if (acc.sized) acc.grown = size - jsonByteSize(prev);
  }
  acc.opCount++;
  acc.displaced += displacedSize(prev);
  acc.view = value;
  return value;
}

function diffObject(
  prev: JsonObject,
  next: Record<string, unknown>,
  ptr: string,
  ptrBytes: number,
  acc: Acc,
): Json {
  const { build, measure, sized } = acc;
  // Any op counted below means this object changed (a removal deep inside has no view entry).
  const opsBefore = acc.opCount;
  let view: Record<string, Json> | null = null;
  const keys = Object.keys(next);
  // The children, read once. Where a child is kept in another form (a sealed copy) it is replaced here,
  // so this array ends as the values of the object to keep.
  const values = Object.values(next) as Json[];
  const prevKeys = Object.keys(prev);
  const prevCount = prevKeys.length;
  // The same keys in the same order (an object rebuilt by the same code): children are compared by
  // position, with no lookup by key, and no key can have been added or removed.
  const prevValues = sameKeys(keys, prevKeys) ? Object.values(prev) : null;
  let sameAsNext = Object.isFrozen(next);
  let shared = 0;
  // Sized: how much this object's JSON text grew.
  let grow = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const child = values[i];
    let s: Json;
    if (prevValues === null && !Object.hasOwn(prev, key)) {
      s = sealChild(child, ptr, key, acc);
      if (build) {
        const path = appendPointer(ptr, key);
        acc.ops.push(Object.freeze({ op: 'add', path, value: s }));
        acc.changed.push(path);
        view ??= {};
        setOwn(view, key, s);
      }
      if (measure) {
        const size = jsonByteSize(s);
        acc.opBytes += ADD_BYTES + ptrBytes + 1 + tokenBytes(key) + size;
        if (sized) grow += jsonStringSize(key) + 1 + size;
      }
      acc.opCount++;
    } else {
      shared++;
      const old = (prevValues === null ? prev[key] : prevValues[i]) as Json;
      // Same reference: the common case for a large map where few entries changed. No pointer is built.
      if (old === child) continue;
      s = diffValue(old, child, ptr, ptrBytes, key, acc);
      if (build && acc.view !== NONE) {
        view ??= {};
        setOwn(view, key, acc.view);
      }
      if (sized) grow += acc.grown;
    }
    if (s !== child) {
      values[i] = s;
      sameAsNext = false;
    }
  }
  if (shared < prevCount) {
    for (const key in prev) {
      if (Object.hasOwn(next, key)) continue;
      const old = prev[key] as Json;
      if (build) {
        const path = appendPointer(ptr, key);
        acc.ops.push(Object.freeze({ op: 'remove', path }));
        acc.removed.push(path);
      }
      if (measure) {
        acc.opBytes += REMOVE_BYTES + ptrBytes + 1 + tokenBytes(key);
        if (sized) grow -= jsonStringSize(key) + 1 + jsonByteSize(old);
      }
      acc.opCount++;
      acc.displaced += displacedSize(old);
    }
  }
  const changed = acc.opCount > opsBefore;
  acc.view = view ?? NONE;
  acc.grown = grow + Math.max(0, keys.length - 1) - Math.max(0, prevCount - 1);
  if (changed) acc.displaced += 16 + 8 * prevCount;
  if (sameAsNext) {
    // The producer's own frozen object is valid all the way down: keep it, so the next diff skips it.
    if (acc.mark) markSealed(next);
    return next as JsonObject;
  }
  if (!changed) return prev;
  const out: Record<string, Json> = {};
  for (let i = 0; i < keys.length; i++) setOwn(out, keys[i] as string, values[i]);
  Object.freeze(out);
  if (acc.mark) markSealed(out);
  return out;
}

/** The same keys in the same order. */
function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function diffArray(prev: JsonArray, next: unknown[], ptr: string, ptrBytes: number, acc: Acc): Json {
  const { build, measure, sized } = acc;
  const opsBefore = acc.opCount;
  let view: Record<string, Json> | null = null;
  const common = Math.min(prev.length, next.length);
  let stored: Json[] | null = null;
  let sameAsNext = Object.isFrozen(next);
  let grow = 0;
  for (let i = 0; i < common; i++) {
    const child = next[i];
    const old = prev[i] as Json;
    if (old === child) continue; // the append fast path: shared rows cost one comparison
    if (!(i in next)) throw new JsonValueError(appendPointer(ptr, i), 'an array hole');
    const s = diffValue(old, child, ptr, ptrBytes, i, acc);
    if (build && acc.view !== NONE) {
      view ??= {};
      view[i] = acc.view;
    }
    if (sized) grow += acc.grown;
    if (s !== child) {
      sameAsNext = false;
      stored ??= next.slice() as Json[];
      stored[i] = s;
    }
  }
  for (let i = prev.length; i < next.length; i++) {
    if (!(i in next)) throw new JsonValueError(appendPointer(ptr, i), 'an array hole');
    const child = next[i];
    const s = sealChild(child, ptr, i, acc);
    if (build) {
      acc.ops.push(Object.freeze({ op: 'add', path: `${ptr}/-`, value: s }));
      acc.changed.push(appendPointer(ptr, i));
      view ??= {};
      view[i] = s;
    }
    if (measure) {
      const size = jsonByteSize(s);
      acc.opBytes += ADD_BYTES + ptrBytes + 2 + size; // the path ends in /-
      if (sized) grow += size;
    }
    acc.opCount++;
    if (s !== child) {
      sameAsNext = false;
      stored ??= next.slice() as Json[];
      stored[i] = s;
    }
  }
  for (let i = prev.length - 1; i >= next.length; i--) {
    const old = prev[i] as Json;
    if (build) {
      const path = appendPointer(ptr, i);
      acc.ops.push(Object.freeze({ op: 'remove', path }));
      acc.removed.push(path);
    }
    if (measure) {
      acc.opBytes += REMOVE_BYTES + ptrBytes + 1 + numberSize(i);
      if (sized) grow -= jsonByteSize(old);
    }
    acc.opCount++;
    acc.displaced += displacedSize(old);
  }
  const changed = acc.opCount > opsBefore;
  acc.view = view ?? NONE;
  acc.grown = grow + Math.max(0, next.length - 1) - Math.max(0, prev.length - 1);
  if (changed) acc.displaced += 16 + 8 * prev.length;
  if (sameAsNext) {
    if (acc.mark) markSealed(next);
    return next as JsonArray;
  }
  if (!changed) return prev;
  const out = Object.freeze(stored ?? (next.slice() as Json[]));
  if (acc.mark) markSealed(out);
  return out;
}

/** Rough heap bytes a replaced or removed value held: a slot for a scalar, its text for a string. */
function displacedSize(value: Json): number {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? 16 + value.length : 16;
  return jsonByteSize(value);
}
