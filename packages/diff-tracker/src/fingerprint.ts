import { isSealed, type Json, type JsonArray, type JsonObject } from '@sys/core';

/**
 * The fingerprint of a JSON value (specified in packages/system-manager/docs/json-api.md, "Fingerprint"):
 * a Merkle hash whose node hash is 64-bit FNV-1a over a byte encoding in which each child appears as its own
 * 8-byte hash. FNV-1a because any language implements it in five lines from the spec, and its 64-bit
 * multiply by 2^40 + 435 splits into two exact double multiplications in JavaScript (no BigInt, a few
 * hundred bytes minified). Hashes of sealed (deep-frozen) nodes are cached by identity, so a new state that
 * shares its unchanged subtrees costs only the nodes on the changed paths.
 */

/** A node's hash: the high and low 32 bits (unsigned). */
interface Hash {
  readonly hi: number;
  readonly lo: number;
}

const cache = new WeakMap<object, Hash>();

// FNV-1a 64 offset basis 0xcbf29ce484222325, split in halves.
const OFFSET_HI = 0xcbf29ce4;
const OFFSET_LO = 0x84222325;
const TWO_32 = 4294967296;

// The running hash of the node being encoded (module state: the encoding of one node never recurses, its
// children's hashes are taken before and after, see hashArray/hashObject).
let hi = 0;
let lo = 0;
// The hash of the last value hashed.
let outHi = 0;
let outLo = 0;

const view = new DataView(new ArrayBuffer(8));

/** Hex fingerprint (16 lowercase digits) of a JSON value; costs only the nodes not hashed before. */
export function fingerprint(value: Json): string {
  hashValue(value);
  return hex(outHi) + hex(outLo);
}

function hex(word: number): string {
  const s = word.toString(16);
  return s.length === 8 ? s : '0'.repeat(8 - s.length) + s;
}

/** One byte into the running hash: xor, then multiply by the FNV prime 2^40 + 435 modulo 2^64. */
function byte(b: number): void {
  const l = (lo ^ b) >>> 0;
  const t = l * 435; // < 2^41: exact in a double
  const low = t >>> 0;
  hi = (hi * 435 + (t - low) / TWO_32 + (l << 8)) >>> 0;
  lo = low;
}

/** A 32-bit word, big-endian. */
function word(w: number): void {
  byte(w >>> 24);
  byte((w >>> 16) & 0xff);
  byte((w >>> 8) & 0xff);
  byte(w & 0xff);
}

/** A string's UTF-8 bytes (a lone surrogate as U+FFFD) and the terminator 0xFF, which UTF-8 never holds. */
function text(s: string): void {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      byte(c);
    } else if (c < 0x800) {
      byte(0xc0 | (c >> 6));
      byte(0x80 | (c & 0x3f));
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          const cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
          byte(0xf0 | (cp >> 18));
          byte(0x80 | ((cp >> 12) & 0x3f));
          byte(0x80 | ((cp >> 6) & 0x3f));
          byte(0x80 | (cp & 0x3f));
          i++;
          continue;
        }
        c = 0xfffd;
      }
      byte(0xe0 | (c >> 12));
      byte(0x80 | ((c >> 6) & 0x3f));
      byte(0x80 | (c & 0x3f));
    }
  }
  byte(0xff);
}

/** Hashes `value` into outHi/outLo. */
function hashValue(value: Json): void {
  if (value !== null && typeof value === 'object') {
    const known = cache.get(value);
    if (known !== undefined) {
      outHi = known.hi;
      outLo = known.lo;
      return;
    }
    if (Array.isArray(value)) hashArray(value as JsonArray);
    else hashObject(value as JsonObject);
    if (isSealed(value)) cache.set(value, { hi: outHi, lo: outLo });
    return;
  }
  hi = OFFSET_HI;
  lo = OFFSET_LO;
  switch (typeof value) {
    case 'number':
      byte(0x64); // 'd'
      // -0 is 0; any other finite double by its IEEE 754 binary64 bits, big-endian.
      view.setFloat64(0, value === 0 ? 0 : value);
      word(view.getUint32(0));
      word(view.getUint32(4));
      break;
    case 'string':
      byte(0x73); // 's'
      text(value);
      break;
    case 'boolean':
      byte(value ? 0x74 : 0x66); // 't' | 'f'
      break;
    default:
      byte(0x6e); // 'n' (null)
  }
  outHi = hi;
  outLo = lo;
}

function hashArray(arr: JsonArray): void {
  let h = OFFSET_HI;
  let l = OFFSET_LO;
  hi = h;
  lo = l;
  byte(0x61); // 'a'
  h = hi;
  l = lo;
  for (let i = 0; i < arr.length; i++) {
    hashValue(arr[i] as Json);
    hi = h;
    lo = l;
    word(outHi);
    word(outLo);
    h = hi;
    l = lo;
  }
  outHi = h;
  outLo = l;
}

function hashObject(obj: JsonObject): void {
  const keys = sortedKeys(obj);
  let h = OFFSET_HI;
  let l = OFFSET_LO;
  hi = h;
  lo = l;
  byte(0x6f); // 'o'
  h = hi;
  l = lo;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    hashValue(obj[key] as Json);
    hi = h;
    lo = l;
    text(key);
    word(outHi);
    word(outLo);
    h = hi;
    l = lo;
  }
  outHi = h;
  outLo = l;
}

/** Own keys in UTF-16 code-unit order (JavaScript's default sort); most states are built in that order. */
function sortedKeys(obj: JsonObject): string[] {
  const keys = Object.keys(obj);
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) return keys.sort();
  }
  return keys;
}
