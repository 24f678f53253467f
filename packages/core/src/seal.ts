import { JsonValueError } from './errors.js';
import {
  describeNonJsonPrimitive,
  isPlainObject,
  type Json,
  type JsonArray,
  type JsonObject,
  setOwn,
} from './json.js';
import { appendPointer } from './pointer.js';

/**
 * Nodes known to be deep-frozen, valid JSON. A fact about an object's identity, never stale: a frozen
 * object cannot change, so remembering it is safe and lets every tracker skip it by reference.
 */
const sealedNodes = new WeakSet<object>();

/** True when `value` is a primitive or a node already verified as deep-frozen JSON. */
export function isSealed(value: Json): boolean {
  return value === null || typeof value !== 'object' || sealedNodes.has(value);
}

/**
 * Validates `value` as JSON and returns a deep-frozen version of it: frozen nodes that are valid all the
 * way down are kept by reference, anything mutable is copied. Costs the size of the parts not seen before.
 * Throws JsonValueError naming the pointer of the first bad value. `ancestors` are the containers above
 * `value` when it is sealed as part of a larger walk, so a cycle through them is named where it closes.
 */
export function sealJson(value: unknown, pointer = '', ancestors?: Set<object>): Json {
  return seal(value, pointer, ancestors);
}

function seal(value: unknown, pointer: string, ancestors: Set<object> | undefined): Json {
  if (value === null || typeof value !== 'object') {
    const bad = describeNonJsonPrimitive(value);
    if (bad !== null) throw new JsonValueError(pointer, bad);
    return value as Json;
  }
  if (sealedNodes.has(value)) return value as Json;
  if (ancestors?.has(value)) throw new JsonValueError(pointer, 'a cycle');
  // The containers above a child, for naming a cycle where it closes. Made only when a child needs a walk
  // of its own: a node of valid primitives and sealed parts, the common case, needs none.
  const walk: Walk = { value, ancestors, path: undefined };
  let result: Json;
  const keep = Object.isFrozen(value);
  if (Array.isArray(value)) {
    let copy: Json[] | null = keep ? null : new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new JsonValueError(appendPointer(pointer, i), 'an array hole');
      const child = value[i];
      const sealed = sealChild(child, pointer, i, walk);
      if (copy === null && sealed !== child) {
        copy = value.slice(0, i) as Json[];
      }
      if (copy !== null) copy[i] = sealed;
    }
    result = copy === null ? (value as JsonArray) : Object.freeze(copy);
  } else if (isPlainObject(value)) {
    const keys = Object.keys(value);
    let copy: Record<string, Json> | null = keep ? null : {};
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const child = value[key];
      const sealed = sealChild(child, pointer, key, walk);
      if (copy === null && sealed !== child) {
        copy = {};
        for (let j = 0; j < i; j++) {
          const k = keys[j] as string;
          setOwn(copy, k, value[k]);
        }
      }
      if (copy !== null) setOwn(copy, key, sealed);
    }
    result = copy === null ? (value as JsonObject) : Object.freeze(copy);
  } else {
    throw new JsonValueError(pointer, `an instance of ${value.constructor?.name ?? 'an unknown class'}`);
  }
  walk.path?.delete(value);
  sealedNodes.add(result as object);
  return result;
}

/** The node being sealed, the containers above it, and (once a child needed it) that set with the node. */
interface Walk {
  readonly value: object;
  readonly ancestors: Set<object> | undefined;
  path: Set<object> | undefined;
}

/**
 * A child of a node being sealed. A valid primitive or a node already sealed is taken as it is, without
 * building its pointer: that is most children of a state rebuilt from sealed parts, e.g. a map of a
 * thousand symbols of which one changed.
 */
function sealChild(child: unknown, pointer: string, key: string | number, walk: Walk): Json {
  switch (typeof child) {
    case 'object':
      if (child === null || sealedNodes.has(child)) return child as Json;
      break;
    case 'string':
    case 'boolean':
      return child;
    case 'number':
      if (Number.isFinite(child)) return child;
      break;
  }
  if (walk.path === undefined) {
    walk.path = walk.ancestors ?? new Set<object>();
    walk.path.add(walk.value);
  }
  return seal(child, appendPointer(pointer, key), walk.path);
}

/** Leaves with fewer children than this are frozen by `sealParsed` but not recorded as sealed. */
const SMALL_LEAF = 8;

/**
 * Seals a value fresh from `JSON.parse` in place: freezes every node and records it as sealed
 * (small leaves only frozen: `sealJson` keeps a frozen valid node by reference after a short check), without
 * copying or validating (a parse yields only valid, acyclic JSON). For large states read from a file or the
 * network, where `sealJson` would copy every node. The caller gives up the value: nothing else may hold a
 * mutable reference to it. Anything not straight from `JSON.parse` must go through `sealJson`.
 */
export function sealParsed(value: unknown): Json {
  if (value !== null && typeof value === 'object' && !sealedNodes.has(value)) {
    // A small leaf (fewer than SMALL_LEAF primitives) is frozen but not recorded: a walk that meets it
    // again checks a few primitives, while a set entry per bar row costs most of the sealing of a large
    // state and of the GC after it.
    const children: unknown[] = Array.isArray(value) ? value : Object.values(value);
    let leaf = true;
    for (const child of children) {
      if (child !== null && typeof child === 'object') {
        leaf = false;
        sealParsed(child);
      }
    }
    Object.freeze(value);
    if (!leaf || children.length >= SMALL_LEAF) sealedNodes.add(value);
  }
  return value as Json;
}

/**
 * Records that `node` is deep-frozen, valid JSON (every child already sealed). For producers that build
 * frozen nodes from sealed parts themselves, e.g. a differ assembling the next state.
 */
export function markSealed(node: object): void {
  sealedNodes.add(node);
}
