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
