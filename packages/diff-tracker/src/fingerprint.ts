import type { Json, JsonArray, JsonObject } from '@sys/core';

/**
 * The fingerprint of a JSON value (specified in packages/system-manager/docs/json-api.md, "Fingerprint"):
 * a Merkle hash whose node hash is FNV-1a 64 over 32-bit words, in which each child appears as its own
 * 64-bit hash. FNV-1a because any language implements it in a few lines from the spec, and its multiply by
 * 2^40 + 435 splits into exact 16-bit products in JavaScript (no BigInt; small in a browser bundle); words
 * rather than bytes because a state is mostly numbers and child hashes, two words each.
 *
 * Cost: the hash of every deep-frozen node is cached by identity, so a state that shares its unchanged
 * subtrees with one hashed before costs only the nodes on the changed paths. A wide node (many children)
 * also keeps its children's hashes and an object its keys' encoding, so hashing its next version next to it
 * (`previous`) takes the unchanged children's hashes by position: no lookup per child, which in a large
 * heap costs more than the hashing itself.
 */

/** A node's hash (the high and low 32 bits, as int32), and for a wide node what its next version reuses. */
interface Hash {
  readonly hi: number;
  readonly lo: number;
  /** Children's hashes, hi and lo per child, in encoding order (wide nodes only). */
  readonly kids: Int32Array | undefined;
  /** A wide object's keys and their encoding. */
  readonly shape: Shape | undefined;
  /** A wide object's values in its own key order (`shape.order`). */
  readonly values: readonly Json[] | undefined;
}

/** The keys of a wide object, shared by its versions while their keys stay the same. */
interface Shape {
  /** Keys in the object's own order (Object.keys). */
  readonly order: readonly string[];
  /** For each key in own order, its position in encoding (sorted) order. */
  readonly rank: Int32Array;
  /** The encoded words of every key, in sorted order; key i is words[starts[i]] .. words[starts[i + 1]]. */
  readonly words: Int32Array;
  readonly starts: Int32Array;
}

const cache = new WeakMap<object, Hash>();

/** Nodes with at least this many children keep their children's hashes. */
const WIDE = 8;

// FNV-1a 64 offset basis 0xcbf29ce484222325, split in halves (as int32).
const OFFSET_HI = 0xcbf29ce4 | 0;
const OFFSET_LO = 0x84222325 | 0;

// The running hash passes between functions through a typed array, never a module variable: V8 boxes a
// 32-bit value above 2^30 kept in a module variable as a heap number (an allocation per word hashed).
const out = new Int32Array(2);
const view = new DataView(new ArrayBuffer(8));
/** Scratch for the bytes and words of one string. */
let bytes = new Uint8Array(256);
let scratch = new Int32Array(65);

/**
 * Whether the value hashed last is immutable all the way down: a primitive, a node from the cache, or a
 * frozen node whose children all are. Only such nodes are cached (a frozen node over a mutable child could
 * still change). Found while hashing, so no lookup in a sealed set per node.
 */
let lastImmutable = true;

/**
 * Hex fingerprint (16 lowercase digits) of a JSON value; costs only the nodes not hashed before.
 * `previous`, a value hashed before that `value` shares subtrees with (the state before a change), only
 * makes it faster: the result is the same with or without it.
 */
export function fingerprint(value: Json, previous?: Json): string {
  if (previous === undefined) hashValue(value);
  else hashNext(value, previous);
  return hex(out[0] as number) + hex(out[1] as number);
}

function hex(word: number): string {
  const s = (word >>> 0).toString(16);
  return s.length === 8 ? s : '0'.repeat(8 - s.length) + s;
}

/**
 * One FNV-1a step on the hash (hi, lo) with a 32-bit word `w`: h = (h XOR w) · (2^40 + 435) mod 2^64,
 * into `out`. In 16-bit pieces so every product is exact: x · 435 gives the new low half and a carry;
 * x · 2^40 adds (x << 8) to the high half.
 */
function mix(hi: number, lo: number, w: number): void {
  const x = lo ^ w;
  const p0 = (x & 0xffff) * 435;
  const p1 = (x >>> 16) * 435 + (p0 >>> 16);
  out[1] = (p1 << 16) | (p0 & 0xffff);
  out[0] = (Math.imul(hi, 435) + (p1 >>> 16) + (x << 8)) | 0;
}

/** (hi:lo) · (bh:bl) mod 2^64 into `out`, in 16-bit pieces so every product is exact. */
function mul64(hi: number, lo: number, bh: number, bl: number): void {
  const a0 = lo & 0xffff;
  const a1 = lo >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  out[1] = (mid << 16) | (p00 & 0xffff);
  out[0] = (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(hi, bl) + Math.imul(lo, bh)) | 0;
}

/**
 * The end of a node's hash: MurmurHash3's fmix64 on (hi, lo) in `out`, so that every bit of a child's hash
 * depends on every word of it before the parent takes it in (FNV alone leaves the low half poorly mixed).
 */
function finish(): void {
  let hi = out[0] as number;
  let lo = (out[1] as number) ^ (hi >>> 1);
  mul64(hi, lo, 0xff51afd7 | 0, 0xed558ccd | 0);
  hi = out[0] as number;
  lo = (out[1] as number) ^ (hi >>> 1);
  mul64(hi, lo, 0xc4ceb9fe | 0, 0x1a85ec53 | 0);
  out[1] = (out[1] as number) ^ ((out[0] as number) >>> 1);
}

/**
 * Writes the words of a string into `scratch` and returns how many: its UTF-8 bytes (a lone surrogate as
 * U+FFFD), then 0xFF (a byte UTF-8 never holds, so it ends the string), then 0x00 up to a multiple of 4
 * bytes, as 32-bit big-endian words.
 */
function stringWords(s: string): number {
  const n = s.length;
  // At most 3 bytes per UTF-16 unit, the terminator and the padding.
  if (bytes.length < 3 * n + 4) {
    bytes = new Uint8Array(6 * n + 8);
    scratch = new Int32Array(bytes.length / 4 + 1);
  }
  const b = bytes;
  let at = 0;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      b[at++] = c;
      continue;
    }
    if (c < 0x800) {
      b[at++] = 0xc0 | (c >> 6);
      b[at++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        b[at++] = 0xf0 | (cp >> 18);
        b[at++] = 0x80 | ((cp >> 12) & 0x3f);
        b[at++] = 0x80 | ((cp >> 6) & 0x3f);
        b[at++] = 0x80 | (cp & 0x3f);
        i++;
        continue;
      }
      c = 0xfffd;
    }
    b[at++] = 0xe0 | (c >> 12);
    b[at++] = 0x80 | ((c >> 6) & 0x3f);
    b[at++] = 0x80 | (c & 0x3f);
  }
  b[at++] = 0xff;
  while ((at & 3) !== 0) b[at++] = 0;
  const count = at >> 2;
  for (let w = 0; w < count; w++) {
    const k = 4 * w;
    scratch[w] =
      ((b[k] as number) << 24) |
      ((b[k + 1] as number) << 16) |
      ((b[k + 2] as number) << 8) |
      (b[k + 3] as number);
  }
  return count;
}

/** Feeds `count` words of `words` from `start` to the hash (hi, lo), into `out`. */
function mixWords(hi: number, lo: number, words: Int32Array, start: number, count: number): void {
  let h = hi;
  let l = lo;
  for (let i = start; i < start + count; i++) {
    mix(h, l, words[i] as number);
    h = out[0] as number;
    l = out[1] as number;
  }
  out[0] = h;
  out[1] = l;
}

/** Hashes `value` into `out`. */
function hashValue(value: Json): void {
  if (value !== null && typeof value === 'object') {
    const known = cache.get(value);
    if (known !== undefined) {
      out[0] = known.hi;
      out[1] = known.lo;
      lastImmutable = true;
      return;
    }
    if (Array.isArray(value)) hashArray(value as JsonArray, undefined, undefined);
    else hashObject(value as JsonObject, undefined, undefined);
    return;
  }
  lastImmutable = true;
  switch (typeof value) {
    case 'number': {
      // 'd', then the IEEE 754 binary64 bits, big-endian (-0 as 0).
      view.setFloat64(0, value === 0 ? 0 : value);
      const low = view.getInt32(4);
      mix(OFFSET_HI, OFFSET_LO, 0x64);
      mix(out[0] as number, out[1] as number, view.getInt32(0));
      mix(out[0] as number, out[1] as number, low);
      finish();
      return;
    }
    case 'string': {
      mix(OFFSET_HI, OFFSET_LO, 0x73); // 's'
      const count = stringWords(value);
      mixWords(out[0] as number, out[1] as number, scratch, 0, count);
      finish();
      return;
    }
    case 'boolean':
      mix(OFFSET_HI, OFFSET_LO, value ? 0x74 : 0x66); // 't' | 'f'
      finish();
      return;
    default:
      mix(OFFSET_HI, OFFSET_LO, 0x6e); // 'n' (null)
      finish();
  }
}

/** Hashes `next` into `out`, taking the hashes of the children it shares with `prev` from `prev`'s entry. */
function hashNext(next: Json, prev: Json): void {
  if (
    next === prev ||
    next === null ||
    typeof next !== 'object' ||
    prev === null ||
    typeof prev !== 'object'
  ) {
    hashValue(next);
    return;
  }
  const known = cache.get(next);
  if (known !== undefined) {
    out[0] = known.hi;
    out[1] = known.lo;
    lastImmutable = true;
    return;
  }
  const isArray = Array.isArray(next);
  if (isArray !== Array.isArray(prev)) {
    hashValue(next);
    return;
  }
  const before = cache.get(prev);
  if (isArray) hashArray(next as JsonArray, prev as JsonArray, before);
  else hashObject(next as JsonObject, prev as JsonObject, before);
}

/**
 * A child of a node being hashed, into `out`: from the previous version's child hashes when it is the same
 * node there, else hashed (next to the previous version's child `was` when there is one).
 */
function hashChild(child: Json, was: Json | undefined, prevKids: Int32Array | undefined, at: number): void {
  // The same value as before has the same hash (a primitive too: JSON has no NaN, and -0 hashes as 0).
  if (child === was && prevKids !== undefined) {
    out[0] = prevKids[2 * at] as number;
    out[1] = prevKids[2 * at + 1] as number;
    lastImmutable = true;
  } else if (was === undefined) {
    hashValue(child);
  } else {
    hashNext(child, was);
  }
}

/**
 * Caches the hash in `out` for `node` when it and its children (`children`: all immutable) are frozen.
 * A small leaf (fewer than WIDE children, all primitives — a bar row) is not cached: hashing it again costs
 * about what a cache lookup does, while caching it costs a WeakMap entry per row, which on a large state
 * (hundreds of thousands of rows) is most of a cold hash's time and of the GC after it.
 */
function remember(
  node: object,
  children: boolean,
  kids?: Int32Array,
  shape?: Shape,
  values?: Json[],
  smallLeaf = false,
): void {
  lastImmutable = children && Object.isFrozen(node);
  if (lastImmutable && !smallLeaf) {
    cache.set(node, { hi: out[0] as number, lo: out[1] as number, kids, shape, values });
  }
}

function hashArray(arr: JsonArray, prev: JsonArray | undefined, before: Hash | undefined): void {
  const n = arr.length;
  const kids = n >= WIDE ? new Int32Array(2 * n) : undefined;
  const shared = prev === undefined ? 0 : Math.min(n, prev.length);
  const prevKids = before?.kids;
  mix(OFFSET_HI, OFFSET_LO, 0x61); // 'a'
  let h = out[0] as number;
  let l = out[1] as number;
  let immutable = true;
  let leaf = true;
  for (let i = 0; i < n; i++) {
    const child = arr[i] as Json;
    if (leaf && child !== null && typeof child === 'object') leaf = false;
    hashChild(child, i < shared ? (prev as JsonArray)[i] : undefined, prevKids, i);
    immutable &&= lastImmutable;
    const ch = out[0] as number;
    const cl = out[1] as number;
    if (kids !== undefined) {
      kids[2 * i] = ch;
      kids[2 * i + 1] = cl;
    }
    mix(h, l, ch);
    mix(out[0] as number, out[1] as number, cl);
    h = out[0] as number;
    l = out[1] as number;
  }
  out[0] = h;
  out[1] = l;
  finish();
  remember(arr, immutable, kids, undefined, undefined, leaf && kids === undefined);
}

function hashObject(obj: JsonObject, prev: JsonObject | undefined, before: Hash | undefined): void {
  const order = Object.keys(obj);
  if (order.length < WIDE) {
    hashSmallObject(obj, order, prev);
    return;
  }
  // The same keys in the same order as the previous version: the same shape, and children line up.
  const aligned = before?.shape !== undefined && sameKeys(order, before.shape.order);
  const shape = aligned ? (before?.shape as Shape) : makeShape(order);
  // Not Object.values: on an object in V8's dictionary mode (a map built key by key, like 1,000 symbols)
  // it is several times slower than reading each key.
  const n = order.length;
  const values = new Array<Json>(n);
  for (let j = 0; j < n; j++) values[j] = obj[order[j] as string] as Json;
  const prevValues = aligned ? before?.values : undefined;
  const prevKids = before?.kids;
  const kids = new Int32Array(2 * n);
  let immutable = true;
  for (let j = 0; j < n; j++) {
    const at = shape.rank[j] as number;
    if (prevValues !== undefined) {
      hashChild(values[j] as Json, prevValues[j], prevKids, at);
    } else {
      const key = order[j] as string;
      hashChild(
        values[j] as Json,
        prev !== undefined && Object.hasOwn(prev, key) ? prev[key] : undefined,
        undefined,
        0,
      );
    }
    immutable &&= lastImmutable;
    kids[2 * at] = out[0] as number;
    kids[2 * at + 1] = out[1] as number;
  }
  mix(OFFSET_HI, OFFSET_LO, 0x6f); // 'o'
  let h = out[0] as number;
  let l = out[1] as number;
  for (let i = 0; i < n; i++) {
    const start = shape.starts[i] as number;
    mixWords(h, l, shape.words, start, (shape.starts[i + 1] as number) - start);
    mix(out[0] as number, out[1] as number, kids[2 * i] as number);
    mix(out[0] as number, out[1] as number, kids[2 * i + 1] as number);
    h = out[0] as number;
    l = out[1] as number;
  }
  out[0] = h;
  out[1] = l;
  finish();
  remember(obj, immutable, kids, shape, values);
}

/** An object of few keys: its keys sorted and encoded each time (cheaper than keeping them). */
function hashSmallObject(obj: JsonObject, order: string[], prev: JsonObject | undefined): void {
  const keys = isSorted(order) ? order : order.sort();
  const n = keys.length;
  const hashes = new Int32Array(2 * n);
  let immutable = true;
  let leaf = true;
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    const child = obj[key] as Json;
    if (leaf && child !== null && typeof child === 'object') leaf = false;
    hashChild(child, prev !== undefined && Object.hasOwn(prev, key) ? prev[key] : undefined, undefined, 0);
    immutable &&= lastImmutable;
    hashes[2 * i] = out[0] as number;
    hashes[2 * i + 1] = out[1] as number;
  }
  mix(OFFSET_HI, OFFSET_LO, 0x6f); // 'o'
  let h = out[0] as number;
  let l = out[1] as number;
  for (let i = 0; i < n; i++) {
    const count = stringWords(keys[i] as string);
    mixWords(h, l, scratch, 0, count);
    mix(out[0] as number, out[1] as number, hashes[2 * i] as number);
    mix(out[0] as number, out[1] as number, hashes[2 * i + 1] as number);
    h = out[0] as number;
    l = out[1] as number;
  }
  out[0] = h;
  out[1] = l;
  finish();
  remember(obj, immutable, undefined, undefined, undefined, leaf);
}

/** The encoding of a wide object's keys: sorted by UTF-16 code units, each key's words. */
function makeShape(order: readonly string[]): Shape {
  const n = order.length;
  const byKey = order.map((key, j) => ({ key, j }));
  if (!isSorted(order)) byKey.sort((a, b) => (a.key < b.key ? -1 : 1));
  const rank = new Int32Array(n);
  const starts = new Int32Array(n + 1);
  let words = new Int32Array(n * 3);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const { key, j } = byKey[i] as { key: string; j: number };
    rank[j] = i;
    const count = stringWords(key);
    if (at + count > words.length) {
      const grown = new Int32Array((at + count) * 2);
      grown.set(words);
      words = grown;
    }
    words.set(scratch.subarray(0, count), at);
    starts[i] = at;
    at += count;
  }
  starts[n] = at;
  return { order, rank, words: words.slice(0, at), starts };
}

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  return true;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
