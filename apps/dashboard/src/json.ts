import { isPlainObject, PointerError, parsePointer } from '@sys/core';

/** A JSON object as the state holds it (read-only: the client's copy is frozen). */
export type JsonObject = { readonly [key: string]: unknown };

/** The value as an object, or undefined when it is not a plain JSON object. */
export function obj(value: unknown): JsonObject | undefined {
  return isPlainObject(value) ? value : undefined;
}

/** The value as a finite number, or null. */
export function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The value as a string, or null. */
export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** The value as an array, or an empty one. */
export function arr(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Walks `value` by an RFC 6901 pointer; undefined when a step is missing or the pointer is malformed. */
export function at(value: unknown, pointer: string): unknown {
  let tokens: string[];
  try {
    tokens = parsePointer(pointer);
  } catch (error) {
    if (error instanceof PointerError) return undefined;
    throw error;
  }
  let current: unknown = value;
  for (const key of tokens) {
    if (Array.isArray(current)) current = current[Number(key)];
    else {
      const o = obj(current);
      if (o === undefined || !Object.hasOwn(o, key)) return undefined;
      current = o[key];
    }
  }
  return current;
}
