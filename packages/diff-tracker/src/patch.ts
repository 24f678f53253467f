import {
  assertJson,
  isPlainObject,
  type Json,
  JsonValueError,
  jsonEqual,
  PointerError,
  parsePointer,
  setOwn,
} from '@sys/core';
import { PatchError } from './errors.js';

type Container = Json[] | Record<string, Json>;
const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
const INDEX = /^(0|[1-9][0-9]*)$/;

/**
 * Applies an RFC 6902 JSON Patch and returns the new document. All six operations, exactly as the RFC
 * says. Atomic: the input document is never modified (containers on a changed path are copied once per
 * call), so when an operation fails a PatchError is thrown naming it and nothing is half-applied.
 */
export function applyPatch(doc: Json, patch: readonly unknown[], options: ApplyPatchOptions = {}): Json {
  if (!Array.isArray(patch)) throw new PatchError(-1, '?', '', 'a patch must be an array of operations');
  const fresh = new Set<object>();
  const freeze = options.freeze === true;
  let root: Json = doc;

  const fail = (i: number, op: string, path: string, reason: string): never => {
    throw new PatchError(i, op, path, reason);
  };

  const writable = (node: Json, i: number, op: string, path: string): Container => {
    if (node === null || typeof node !== 'object')
      return fail(i, op, path, 'a parent on the path is not a container');
    if (fresh.has(node)) return node as Container;
    const copy: Container = Array.isArray(node) ? node.slice() : { ...(node as Record<string, Json>) };
    fresh.add(copy);
    return copy;
  };

  /** Copies the containers from the root to the parent of `tokens`, returning that parent. */
  const parentOf = (tokens: string[], i: number, op: string, path: string): Container => {
    const top = writable(root, i, op, path);
    root = top;
    let cur: Container = top;
    for (let t = 0; t < tokens.length - 1; t++) {
      const token = tokens[t] as string;
      const child = childOf(cur, token);
      if (child === undefined) return fail(i, op, path, `${prefix(tokens, t + 1)} does not exist`);
      const w = writable(child, i, op, path);
      put(cur, token, w);
      cur = w;
    }
    return cur;
  };

  const get = (tokens: string[], i: number, op: string, path: string): Json => {
    let cur: Json = root;
    for (let t = 0; t < tokens.length; t++) {
      const next = childOf(cur, tokens[t] as string);
      if (next === undefined) return fail(i, op, path, `${prefix(tokens, t + 1)} does not exist`);
      cur = next;
    }
    return cur;
  };

  const add = (tokens: string[], value: Json, i: number, op: string, path: string): void => {
    if (tokens.length === 0) {
      root = value;
      return;
    }
    const parent = parentOf(tokens, i, op, path);
    const key = tokens[tokens.length - 1] as string;
    if (Array.isArray(parent)) {
      if (key === '-') {
        parent.push(value);
        return;
      }
      if (!INDEX.test(key)) fail(i, op, path, `"${key}" is not an array index`);
      const index = Number(key);
      if (index > parent.length)
        fail(i, op, path, `index ${index} is past the end (length ${parent.length})`);
      parent.splice(index, 0, value);
    } else {
      setOwn(parent, key, value);
    }
  };

  const remove = (tokens: string[], i: number, op: string, path: string): Json => {
    if (tokens.length === 0) return fail(i, op, path, 'the whole document cannot be removed');
    const old = get(tokens, i, op, path);
    const parent = parentOf(tokens, i, op, path);
    const key = tokens[tokens.length - 1] as string;
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
    return old;
  };

  for (let i = 0; i < patch.length; i++) {
    const raw: unknown = patch[i];
    if (!isPlainObject(raw)) fail(i, '?', '', 'an operation must be an object');
    const o = raw as Record<string, unknown>;
    const op = typeof o.op === 'string' ? o.op : '?';
    if (!OPS.has(op)) fail(i, op, String(o.path ?? ''), `unknown op ${JSON.stringify(o.op)}`);
    if (typeof o.path !== 'string') fail(i, op, '', '"path" must be a string');
    const path = o.path as string;
    const tokens = pointerTokens(path, i, op, path);
    const needsValue = op === 'add' || op === 'replace' || op === 'test';
    let value: Json = null;
    if (needsValue) {
      if (!('value' in o)) fail(i, op, path, '"value" is required');
      try {
        value = assertJson(o.value);
      } catch (e) {
        if (e instanceof JsonValueError) fail(i, op, path, `"value" is not JSON: ${e.message}`);
        throw e;
      }
      if (freeze) deepFreeze(value);
    }
    let fromTokens: string[] = [];
    if (op === 'move' || op === 'copy') {
      if (typeof o.from !== 'string') fail(i, op, path, '"from" must be a string');
      fromTokens = pointerTokens(o.from as string, i, op, path);
    }
    switch (op) {
      case 'add':
        add(tokens, value, i, op, path);
        break;
      case 'remove':
        remove(tokens, i, op, path);
        break;
      case 'replace':
        get(tokens, i, op, path);
        if (tokens.length === 0) root = value;
        else put(parentOf(tokens, i, op, path), tokens[tokens.length - 1] as string, value);
        break;
      case 'move': {
        const from = o.from as string;
        if (from === path) {
          get(tokens, i, op, path);
          break;
        }
        if (path.startsWith(`${from}/`)) fail(i, op, path, `cannot move ${from} into its own child`);
        const moved = remove(fromTokens, i, op, path);
        add(tokens, moved, i, op, path);
        break;
      }
      case 'copy': {
        const copied = structuredClone(get(fromTokens, i, op, path));
        add(tokens, freeze ? deepFreeze(copied) : copied, i, op, path);
        break;
      }
      case 'test':
        if (!jsonEqual(get(tokens, i, op, path), value)) fail(i, op, path, 'test failed: the value differs');
        break;
    }
  }
  if (freeze) {
    // Every container this patch made is now complete; its other children came frozen from `doc`.
    for (const node of fresh) Object.freeze(node);
  }
  return root;
}

/** Options of applyPatch. */
export interface ApplyPatchOptions {
  /**
   * Return a deep-frozen document when `doc` is deep-frozen: freezes the containers the patch copied and
   * the values it inserted (taking ownership of them) instead of a walk over the result. Costs only the
   * change; a consumer that keeps frozen state (and fingerprints it) avoids a copy or a full walk.
   */
  freeze?: boolean;
}

function deepFreeze(value: Json): Json {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function pointerTokens(pointer: string, i: number, op: string, path: string): string[] {
  try {
    return parsePointer(pointer);
  } catch (e) {
    if (e instanceof PointerError) throw new PatchError(i, op, path, e.message);
    throw e;
  }
}

function childOf(node: Json, token: string): Json | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  if (Array.isArray(node)) {
    if (!INDEX.test(token)) return undefined;
    return node[Number(token)];
  }
  const obj = node as Record<string, Json>;
  return Object.hasOwn(obj, token) ? obj[token] : undefined;
}

function put(parent: Container, key: string, value: Json): void {
  if (Array.isArray(parent)) parent[Number(key)] = value;
  else setOwn(parent, key, value);
}

function prefix(tokens: string[], n: number): string {
  return tokens.length === 0 ? '(root)' : `/${tokens.slice(0, n).join('/')}`;
}
