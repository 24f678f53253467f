/** A JSON object as the state holds it (read-only: the client's copy is frozen). */
export type JsonObject = { readonly [key: string]: unknown };

/** The value as an object, or undefined when it is not a plain JSON object. */
export function obj(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
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

/** Walks `value` by an RFC 6901 pointer; undefined when a step is missing. */
export function at(value: unknown, pointer: string): unknown {
  if (pointer === '') return value;
  if (!pointer.startsWith('/')) return undefined;
  let current: unknown = value;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(current)) current = current[Number(key)];
    else {
      const o = obj(current);
      if (o === undefined || !Object.hasOwn(o, key)) return undefined;
      current = o[key];
    }
  }
  return current;
}

/** One pointer step for `key`, escaped as RFC 6901 says. */
export function step(key: string): string {
  return `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
}
