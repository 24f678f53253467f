import {
  isPlainObject,
  type Json,
  type JsonObject,
  markSealed,
  PointerError,
  parsePointer,
  setOwn,
  toPointer,
} from '@sys/core';
import { HttpError } from './errors.js';

/** What one client sees: the plain or debug face of the state, optionally projected to some parts. */
export interface ViewSpec {
  readonly debug: boolean;
  /** Only these symbols under `/session_data/symbols` (sorted, unique); undefined: all. */
  readonly symbols?: readonly string[];
  /** Only these subtrees (RFC 6901 pointers, sorted, none inside another); undefined: the whole state. */
  readonly paths?: readonly string[];
}

/** Most symbols and paths one filter may name, and the longest pointer: bounds the work of a projection. */
export const FILTER_LIMITS = { symbols: 10_000, paths: 64, pointerChars: 1024 } as const;

const SYMBOLS_POINTER = '/session_data/symbols';

/**
 * Checks and normalises a filter from a query or a WebSocket hello. `symbols` is a comma-separated list
 * or a list; `paths` JSON Pointers. Symbols are checked against `known` when given (a typo is an error, not
 * an empty stream). Throws a 400 HttpError naming the bad part.
 */
export function parseViewSpec(
  input: { debug?: unknown; symbols?: unknown; paths?: unknown },
  known?: ReadonlySet<string>,
): ViewSpec {
  const debug = parseFlag(input.debug, 'debug');
  const symbols = input.symbols === undefined ? undefined : parseSymbols(input.symbols, known);
  const paths = input.paths === undefined ? undefined : parsePaths(input.paths);
  return {
    debug,
    ...(symbols === undefined ? {} : { symbols }),
    ...(paths === undefined ? {} : { paths }),
  };
}

/** A stable key for a spec: clients with equal keys share one view (and its envelopes). */
export function viewKey(spec: ViewSpec): string {
  return JSON.stringify([spec.debug ? 1 : 0, spec.symbols ?? null, spec.paths ?? null]);
}

function parseFlag(value: unknown, name: string): boolean {
  if (value === undefined || value === false || value === '0' || value === 'false') return false;
  if (value === true || value === '1' || value === 'true' || value === '') return true;
  throw new HttpError(400, 'BAD_FILTER', `${name} must be 1/true or 0/false, got ${JSON.stringify(value)}`);
}

function parseSymbols(value: unknown, known: ReadonlySet<string> | undefined): readonly string[] {
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) {
    throw new HttpError(
      400,
      'BAD_FILTER',
      'symbols must be a comma-separated list of symbols, e.g. symbols=AAPL,MSFT',
    );
  }
  const names = [...new Set((list as string[]).map((s) => s.trim()))].sort();
  if (names.length === 0 || names.includes('')) {
    throw new HttpError(
      400,
      'BAD_FILTER',
      'symbols must name at least one symbol and no empty ones, e.g. symbols=AAPL,MSFT',
    );
  }
  if (names.length > FILTER_LIMITS.symbols) {
    throw new HttpError(
      400,
      'BAD_FILTER',
      `symbols names ${names.length} symbols; at most ${FILTER_LIMITS.symbols}`,
    );
  }
  if (known !== undefined) {
    const unknown = names.filter((s) => !known.has(s));
    if (unknown.length > 0) {
      const shown = unknown.slice(0, 5).join(', ');
      throw new HttpError(
        400,
        'UNKNOWN_SYMBOL',
        `symbols names ${unknown.length === 1 ? 'a symbol' : 'symbols'} not in this session: ${shown}${unknown.length > 5 ? ', …' : ''}`,
      );
    }
  }
  return names;
}

function parsePaths(value: unknown): readonly string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((s) => typeof s !== 'string')) {
    throw new HttpError(
      400,
      'BAD_FILTER',
      'path must be one or more JSON Pointers, e.g. path=/session_data/symbols/AAPL',
    );
  }
  if (list.length > FILTER_LIMITS.paths) {
    throw new HttpError(
      400,
      'BAD_FILTER',
      `path is given ${list.length} times; at most ${FILTER_LIMITS.paths}`,
    );
  }
  const pointers: string[] = [];
  for (const p of list as string[]) {
    if (p.length > FILTER_LIMITS.pointerChars) {
      throw new HttpError(
        400,
        'BAD_FILTER',
        `path is ${p.length} characters long; at most ${FILTER_LIMITS.pointerChars}`,
      );
    }
    let tokens: string[];
    try {
      tokens = parsePointer(p);
    } catch (e) {
      if (e instanceof PointerError) throw new HttpError(400, 'BAD_FILTER', `path: ${e.message}`);
      throw e;
    }
    // The whole state, written as a path, is no filter at all.
    if (tokens.length === 0) return [''];
    pointers.push(toPointer(tokens));
  }
  // A path inside another selected one adds nothing: keep the outer one, so equal selections share a key.
  const sorted = [...new Set(pointers)].sort();
  return sorted.filter((p) => !sorted.some((q) => q !== p && p.startsWith(`${q}/`)));
}

/**
 * Makes the projection of a spec: a function from a complete (sealed) state to the part this view sees,
 * sharing every selected subtree by reference and sealing the few containers it builds, so diffing two
 * projections costs what changed in the selected parts. Remembers the last few inputs (states are
 * immutable, so the same input always gives the same output).
 */
export function projection(spec: ViewSpec): (state: Json) => Json {
  if (wholeFace(spec)) return whole;
  const paths = spec.paths?.[0] === '' ? undefined : spec.paths?.map(parsePointer);
  const symbols = spec.symbols;
  const memo = new WeakMap<object, Json>();
  return (state) => {
    if (state === null || typeof state !== 'object') return state;
    const hit = memo.get(state);
    if (hit !== undefined) return hit;
    let out = symbols === undefined ? state : pickSymbols(state, symbols);
    if (paths !== undefined) out = pickPaths(out, paths);
    memo.set(state, out);
    return out;
  };
}

/** The projection of a view of its whole face: the state itself. */
export const whole = (state: Json): Json => state;

/** Whether a spec selects its whole face: no symbols, and no path or the root path. */
function wholeFace(spec: ViewSpec): boolean {
  return spec.symbols === undefined && (spec.paths === undefined || spec.paths[0] === '');
}

function pickSymbols(state: Json, symbols: readonly string[]): Json {
  const tokens = parsePointer(SYMBOLS_POINTER);
  return rebuildAt(state, tokens, (map) => {
    if (!isPlainObject(map)) return map;
    const out: Record<string, Json> = {};
    for (const s of symbols) {
      if (Object.hasOwn(map, s)) setOwn(out, s, (map as JsonObject)[s] as Json);
    }
    return sealed(out);
  });
}

/** `state` with the value at `tokens` replaced by `f(value)`; the same state when nothing is there. */
function rebuildAt(state: Json, tokens: readonly string[], f: (value: Json) => Json, depth = 0): Json {
  if (depth === tokens.length) return f(state);
  if (!isPlainObject(state)) return state;
  const key = tokens[depth] as string;
  if (!Object.hasOwn(state, key)) return state;
  const child = (state as JsonObject)[key] as Json;
  const next = rebuildAt(child, tokens, f, depth + 1);
  if (next === child) return state;
  const out: Record<string, Json> = {};
  for (const k of Object.keys(state)) setOwn(out, k, k === key ? next : ((state as JsonObject)[k] as Json));
  return sealed(out);
}

function pickPaths(state: Json, paths: readonly (readonly string[])[]): Json {
  const root: Record<string, Json> = {};
  for (const tokens of paths) {
    const value = valueAt(state, tokens);
    if (value !== undefined) place(root, tokens, value);
  }
  return sealDeep(root);
}

/** The value at `tokens` (an RFC 6901 pointer, parsed) under `state`, or undefined when a step is missing. */
export function valueAt(state: Json, tokens: readonly string[]): Json | undefined {
  let node: Json = state;
  for (const t of tokens) {
    if (!isPlainObject(node) || !Object.hasOwn(node, t)) return undefined;
    node = (node as JsonObject)[t] as Json;
  }
  return node;
}

/** Puts `value` at `tokens` under `root`, making (unsealed, for now) containers on the way. */
function place(root: Record<string, Json>, tokens: readonly string[], value: Json): void {
  let node = root;
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i] as string;
    let child = Object.hasOwn(node, t) ? (node[t] as Record<string, Json>) : undefined;
    if (child === undefined) {
      child = {};
      setOwn(node, t, child);
    }
    node = child;
  }
  setOwn(node, tokens[tokens.length - 1] as string, value);
}

/** Seals the containers `place` built (the values placed in them are sealed already). */
function sealDeep(node: Record<string, Json>): Json {
  for (const k of Object.keys(node)) {
    const v = node[k] as Json;
    if (isPlainObject(v) && !Object.isFrozen(v)) setOwn(node, k, sealDeep(v as Record<string, Json>));
  }
  return sealed(node);
}

function sealed(node: Record<string, Json>): Json {
  Object.freeze(node);
  markSealed(node);
  return node;
}
