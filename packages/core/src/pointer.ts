import { PointerError } from './errors.js';

/** Escapes one reference token for a JSON Pointer (RFC 6901: `~` → `~0`, `/` → `~1`). */
export function escapePointerToken(token: string): string {
  if (token.indexOf('~') === -1 && token.indexOf('/') === -1) return token;
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Joins a parent pointer and one unescaped token. */
export function appendPointer(parent: string, token: string | number): string {
  return `${parent}/${typeof token === 'number' ? token : escapePointerToken(token)}`;
}

/** Builds a pointer from unescaped tokens. */
export function toPointer(tokens: readonly (string | number)[]): string {
  let out = '';
  for (const t of tokens) out = appendPointer(out, t);
  return out;
}

/** Splits a pointer into unescaped tokens; `''` is the whole document. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (pointer[0] !== '/') throw new PointerError(pointer, 'must be empty or start with "/"');
  const parts = pointer.slice(1).split('/');
  for (let i = 0; i < parts.length; i++) {
    const raw = parts[i] as string;
    if (raw.indexOf('~') === -1) continue;
    if (/~[^01]|~$/.test(raw)) throw new PointerError(pointer, `"~" must be followed by 0 or 1 in "${raw}"`);
    parts[i] = raw.replace(/~1/g, '/').replace(/~0/g, '~');
  }
  return parts;
}
