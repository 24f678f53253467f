import type { Json, JsonArray, JsonObject } from '@sys/core';

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

/** The cached size of a frozen node, or undefined when it was not measured. */
export function knownByteSize(node: object): number | undefined {
  return sizeCache.get(node);
}

/**
 * Records the size of a frozen node computed by its builder (the differ derives a new node's size from the
 * node it replaces). Only for sizes that are exact: every later size of a tree containing it relies on it.
 */
export function rememberByteSize(node: object, size: number): void {
  sizeCache.set(node, size);
}

/** Length of the JSON text of a finite number. */
export function numberSize(n: number): number {
  // Small integers are the common case (volumes, counts); skip the string conversion for them.
  if (Number.isInteger(n) && n >= 0 && n < 1e9) return digits(n);
  const a = n < 0 ? -n : n;
  if (a >= 1e-6 && a < 1e9) {
    // A decimal with few fraction digits (a price in cents). JavaScript writes the shortest decimal that
    // reads back as n, in plain notation in this range: its fraction has the fewest digits k for which
    // some integer m gives m / 10^k === n. Division is correctly rounded, so that test is exact; and n·10^k
    // < 2^50 keeps the product's rounding error far below ½, so m = round(n·10^k) is that integer.
    let scale = 1;
    for (let k = 0; k <= 6; k++) {
      if (Math.round(a * scale) / scale === a) {
        return (n < 0 ? 1 : 0) + digits(Math.floor(a)) + (k === 0 ? 0 : 1 + k);
      }
      scale *= 10;
    }
  }
  return convertedNumberSize(n);
}

/** Digits of a non-negative integer below 1e9. */
function digits(n: number): number {
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

// The last sizes that needed String(n), direct-mapped by the number's bits. A read sizes each new value
// and, for the new state's size, the value it replaced, which the read before sized as new: that half of
// the conversions of full-precision values (a VWAP) is a lookup.
const CACHE_BITS = 12;
const cachedNumbers = new Float64Array(1 << CACHE_BITS);
const cachedSizes = new Uint8Array(1 << CACHE_BITS); // 0: empty
const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);

function convertedNumberSize(n: number): number {
  scratch[0] = n;
  const slot =
    Math.imul((scratchWords[0] as number) ^ (scratchWords[1] as number), 0x9e3779b1) >>> (32 - CACHE_BITS);
  if (cachedNumbers[slot] === n && cachedSizes[slot] !== 0) return cachedSizes[slot] as number;
  const size = String(n).length;
  cachedNumbers[slot] = n;
  cachedSizes[slot] = size;
  return size;
}

/** Size in UTF-8 bytes of a string as JSON text (with its quotes). */
export function jsonStringSize(s: string): number {
  // ASCII without characters JSON escapes is the usual case: length + 2 quotes.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return utf8Length(JSON.stringify(s));
  }
  return s.length + 2;
}

/** UTF-8 length of a string (a lone surrogate as the 3 bytes of U+FFFD); no Buffer, so it runs in a browser. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      // A surrogate pair: 2 code units, 4 bytes.
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2;
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}
