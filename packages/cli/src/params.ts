import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { UsageError } from './errors.js';
import { nearest } from './suggest.js';

/** The value types a parameter can declare. */
export type ParamType = 'boolean' | 'number' | 'string' | 'enum' | 'date' | 'path';

/** One declared parameter: everything parsing, validation, help and completion need to know. */
export interface ParamSpec {
  readonly type: ParamType;
  /** One line for `--help`. */
  readonly description: string;
  /** Taken by position (`system speed 60`) rather than as a flag (`--interval 500`). */
  readonly positional: boolean;
  /** Must be given (only meaningful without a default). */
  readonly required: boolean;
  /** The value when not given; `undefined` means none. */
  readonly default: unknown;
  /** Allowed values of an `enum`; words a `number` also accepts (e.g. `max`). Also offered by completion. */
  readonly choices: readonly string[];
  /** A `number` must be whole. */
  readonly integer: boolean;
  readonly min: number | undefined;
  readonly max: number | undefined;
  /** A `number` must be strictly greater than this. */
  readonly above: number | undefined;
  /** The value's name in help: `--interval <ms>`. */
  readonly placeholder: string | undefined;
  /** One-letter alias, e.g. `q` for `-q`. */
  readonly short: string | undefined;
}

declare const VALUE: unique symbol;

/** A parameter whose parsed value has type `T`; `Defined` says whether it is always present. */
export interface Param<T, Defined extends boolean> extends ParamSpec {
  /** Type-level only: carries the parsed value's type to the handler. */
  readonly [VALUE]?: { value: T; defined: Defined };
}

/** A command's parameters by name (camelCase; flags are its kebab-case). Positionals go in key order. */
export type Params = Record<string, Param<unknown, boolean>>;

/** The parsed, typed arguments a handler receives for the parameters `P`. */
export type ArgsOf<P extends Params> = {
  -readonly [K in keyof P]: P[K] extends Param<infer T, infer D>
    ? D extends true
      ? T
      : T | undefined
    : never;
};

interface Common {
  description: string;
  positional?: boolean;
  placeholder?: string;
  short?: string;
}
type Present<T> = { default: NoInfer<T> } | { required: true };

interface NumberRules {
  integer?: boolean;
  min?: number;
  max?: number;
  above?: number;
}

function spec(type: ParamType, options: Common & Partial<ParamSpec>, choices: readonly string[] = []) {
  return {
    type,
    description: options.description,
    positional: options.positional ?? false,
    required: options.required ?? false,
    default: options.default,
    choices,
    integer: options.integer ?? false,
    min: options.min,
    max: options.max,
    above: options.above,
    placeholder: options.placeholder,
    short: options.short,
  };
}

function booleanParam(options: Common): Param<boolean, true> {
  return spec('boolean', { default: false, ...options });
}

function numberParam(options: Common & NumberRules & Present<number>): Param<number, true>;
function numberParam<const K extends string>(
  options: Common & NumberRules & { keywords: readonly K[] } & Present<number | K>,
): Param<number | K, true>;
function numberParam<const K extends string>(
  options: Common & NumberRules & { keywords: readonly K[] },
): Param<number | K, false>;
function numberParam(options: Common & NumberRules): Param<number, false>;
function numberParam(options: Common & NumberRules & { keywords?: readonly string[] }) {
  return spec('number', options, options.keywords ?? []);
}

function stringParam(options: Common & Present<string>): Param<string, true>;
function stringParam(options: Common): Param<string, false>;
function stringParam(options: Common) {
  return spec('string', options);
}

function enumParam<const V extends string>(
  values: readonly V[],
  options: Common & Present<V>,
): Param<V, true>;
function enumParam<const V extends string>(values: readonly V[], options: Common): Param<V, false>;
function enumParam(values: readonly string[], options: Common) {
  return spec('enum', options, values);
}

function dateParam(options: Common & Present<string>): Param<string, true>;
function dateParam(options: Common): Param<string, false>;
function dateParam(options: Common) {
  return spec('date', options);
}

function pathParam(options: Common & Present<string>): Param<string, true>;
function pathParam(options: Common): Param<string, false>;
function pathParam(options: Common) {
  return spec('path', options);
}

/**
 * Builders for declared parameters. The declaration is the only place a parameter is described: its
 * type reaches the handler, and argv/REPL parsing, validation, help and completion all read it.
 */
export const param = {
  /** A flag: present → true. */
  boolean: booleanParam,
  /** A finite number, optionally whole and bounded; `keywords` are words accepted instead (e.g. `max`). */
  number: numberParam,
  /** Any text. */
  string: stringParam,
  /** One of the given values. */
  enum: enumParam,
  /** A calendar date `YYYY-MM-DD` (kept as that text). */
  date: dateParam,
  /** A file or directory; `~/` is expanded and the result made absolute. */
  path: pathParam,
};

/** The same declaration taken by position and required, so a flag and an argument share one definition. */
export function requiredPositional<T>(p: Param<T, boolean>): Param<T, true> {
  const spec: ParamSpec = { ...p, positional: true, required: true };
  return spec;
}

/** `skipBad` → `skip-bad`. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** A positional's name in usage lines and messages: its placeholder, else its kebab-case name. */
export function argName(name: string, p: ParamSpec): string {
  return p.placeholder ?? kebab(name);
}

/** How a parameter is written in messages: `--interval` or `<minutes>`. */
export function paramLabel(name: string, p: ParamSpec): string {
  return p.positional ? `<${argName(name, p)}>` : `--${kebab(name)}`;
}

/** The value's placeholder in help and usage lines. */
export function placeholderOf(name: string, p: ParamSpec): string {
  if (p.placeholder !== undefined) return p.placeholder;
  if (p.type === 'enum') return p.choices.join('|');
  if (p.type === 'date') return 'yyyy-mm-dd';
  if (p.type === 'number' && p.choices.length > 0) return `n|${p.choices.join('|')}`;
  return kebab(name);
}

/** What a valid value looks like, for error messages and help. */
export function expectation(p: ParamSpec): string {
  switch (p.type) {
    case 'boolean':
      return 'true or false';
    case 'number': {
      let text = p.integer ? 'a whole number' : 'a number';
      if (p.min !== undefined && p.max !== undefined) text += ` from ${p.min} to ${p.max}`;
      else if (p.min !== undefined) text += ` ≥ ${p.min}`;
      else if (p.max !== undefined) text += ` ≤ ${p.max}`;
      if (p.above !== undefined) text += ` > ${p.above}`;
      return p.choices.length > 0 ? `${text} or ${p.choices.join(' or ')}` : text;
    }
    case 'enum':
      return `one of ${p.choices.join(', ')}`;
    case 'date':
      return 'a date YYYY-MM-DD';
    case 'path':
      return 'a file or directory path';
    case 'string':
      return 'text';
  }
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

/** Where relative paths are resolved: the caller's working directory. */
export interface CoerceContext {
  readonly command: string;
  readonly cwd: string;
}

/** Turns one raw value into the declared type, or throws a UsageError naming the parameter and what it expects. */
export function coerce(name: string, p: ParamSpec, raw: string | boolean, ctx: CoerceContext): unknown {
  const fail = (extra = ''): never => {
    throw new UsageError(
      `${ctx.command}: ${paramLabel(name, p)} expects ${expectation(p)}, got ${JSON.stringify(raw)}${extra}`,
      ctx.command,
    );
  };
  if (typeof raw === 'boolean') return p.type === 'boolean' ? raw : fail();
  switch (p.type) {
    case 'boolean': {
      const word = raw.toLowerCase();
      if (TRUE.has(word)) return true;
      if (FALSE.has(word)) return false;
      return fail();
    }
    case 'number': {
      if (p.choices.includes(raw)) return raw;
      if (!NUMBER.test(raw.trim())) return fail();
      const value = Number(raw);
      if (!Number.isFinite(value)) return fail();
      if (p.integer && !Number.isInteger(value)) return fail();
      if (p.min !== undefined && value < p.min) return fail();
      if (p.max !== undefined && value > p.max) return fail();
      if (p.above !== undefined && value <= p.above) return fail();
      return value;
    }
    case 'enum': {
      if (p.choices.includes(raw)) return raw;
      const near = nearest(raw, p.choices);
      return fail(near === undefined ? '' : ` (did you mean ${near}?)`);
    }
    case 'date': {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
      if (m === null) return fail();
      const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
      const day = new Date(Date.UTC(y, mo - 1, d));
      if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return fail();
      return raw;
    }
    case 'path': {
      if (raw === '') return fail();
      const expanded = raw === '~' || raw.startsWith('~/') ? homedir() + raw.slice(1) : raw;
      return resolve(ctx.cwd, expanded);
    }
    case 'string':
      return raw;
  }
}
