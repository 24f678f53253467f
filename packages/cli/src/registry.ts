import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command as Commander, CommanderError, Option } from 'commander';
import { UsageError } from './errors.js';
import {
  type ArgsOf,
  argName,
  type CoerceContext,
  coerce,
  expectation,
  kebab,
  type ParamSpec,
  type Params,
  placeholderOf,
} from './params.js';
import { nearest } from './suggest.js';
import { tokenize } from './tokenize.js';

/** A command as declared: where it lives, what it does, its typed parameters and its handler. */
export interface CommandDef<C, P extends Params> {
  /** `system` in `system json`; omit for a top-level command such as `help`. */
  readonly namespace?: string;
  readonly name: string;
  /** One line for help and completion listings. */
  readonly description: string;
  readonly params: P;
  /** Command lines shown under Examples in help (without the program name). */
  readonly examples?: readonly string[];
  /** Success is returning; failure is throwing (a SysError's code decides the exit code). */
  readonly handler: (args: ArgsOf<P>, ctx: C) => Promise<void> | void;
}

/** A declared command with its parameter types erased, as the registry holds it. */
export interface CommandEntry<C> {
  readonly namespace: string | undefined;
  readonly name: string;
  /** `system json`, or `help`. */
  readonly path: string;
  readonly description: string;
  readonly params: Params;
  readonly examples: readonly string[];
  readonly handler: (args: Record<string, unknown>, ctx: C) => Promise<void> | void;
}

/**
 * Returns a `define` for commands whose handlers receive the context `C`; each definition's parameter
 * declaration types its handler's `args`.
 */
export function commandsFor<C>(): <P extends Params>(def: CommandDef<C, P>) => CommandEntry<C> {
  return (def) => ({
    namespace: def.namespace,
    name: def.name,
    path: def.namespace === undefined ? def.name : `${def.namespace} ${def.name}`,
    description: def.description,
    params: def.params,
    examples: def.examples ?? [],
    // The registry only calls this with args parsed from `def.params`, so the erased type is exact.
    handler: def.handler as CommandEntry<C>['handler'],
  });
}

/** The outcome of parsing one command line. */
export type Parsed<C, G extends Params> =
  | {
      readonly kind: 'run';
      readonly command: CommandEntry<C>;
      readonly args: Record<string, unknown>;
      readonly globals: ArgsOf<G>;
    }
  | { readonly kind: 'help'; readonly text: string; readonly globals: ArgsOf<G> }
  | { readonly kind: 'empty'; readonly globals: ArgsOf<G> };

/** Options of a registry. */
export interface RegistryOptions<G extends Params> {
  /** The program name used in usage lines, e.g. `sys`. */
  readonly program: string;
  /** One line saying what the program is, at the top of the global help. */
  readonly summary: string;
  /** Flags every command accepts (booleans only, so they may also precede the command). */
  readonly globals: G;
  /** The program's version: `--version` (or `-V`) before any command prints `program version`. */
  readonly version?: string;
}

const HELP_FLAGS = new Set(['--help', '-h']);
const VERSION_FLAGS = new Set(['--version', '-V']);

/**
 * The one table of commands. Each declaration drives argv parsing (commander underneath), REPL line
 * parsing, validation into typed values, `--help`, tab completion and nearest-command suggestions.
 */
export class Registry<C, G extends Params> {
  readonly options: RegistryOptions<G>;
  readonly #commands: CommandEntry<C>[] = [];

  constructor(options: RegistryOptions<G>) {
    for (const [name, p] of Object.entries(options.globals)) {
      if (p.type !== 'boolean' || p.positional)
        throw new Error(`global parameter ${name} must be a boolean flag`);
    }
    this.options = options;
  }

  /** Adds commands; a path declared twice, or a flag clashing with a global, is a programming error. */
  add(...commands: CommandEntry<C>[]): this {
    for (const command of commands) {
      if (this.find(command.path.split(' ')) !== undefined)
        throw new Error(`command ${command.path} declared twice`);
      for (const name of Object.keys(command.params)) {
        if (name in this.options.globals)
          throw new Error(`${command.path}: --${kebab(name)} clashes with a global flag`);
      }
      this.#commands.push(command);
    }
    return this;
  }

  /** Every command, in declaration order. */
  get commands(): readonly CommandEntry<C>[] {
    return this.#commands;
  }

  /** Namespaces in declaration order. */
  get namespaces(): string[] {
    return [...new Set(this.#commands.flatMap((c) => (c.namespace === undefined ? [] : [c.namespace])))];
  }

  /** The command named by the first one or two words (`['help']`, `['system', 'json']`). */
  find(words: readonly string[]): CommandEntry<C> | undefined {
    const [first, second] = words;
    return this.#commands.find((c) =>
      c.namespace === undefined ? c.name === first : c.namespace === first && c.name === second,
    );
  }

  /** Parses a REPL line (shell-like quoting). */
  parseLine(line: string, cwd: string): Parsed<C, G> {
    return this.parse(tokenize(line).words, cwd);
  }

  /** Parses words (argv after the program, or a tokenized line) into a command with typed args, or help. */
  parse(words: readonly string[], cwd: string): Parsed<C, G> {
    const globals = this.#defaults(this.options.globals) as ArgsOf<G>;
    let rest = [...words];
    let help = false;
    // Global flags may come before the command.
    while (rest[0]?.startsWith('-') === true) {
      const flag = rest.shift() ?? '';
      if (HELP_FLAGS.has(flag)) help = true;
      else if (VERSION_FLAGS.has(flag) && this.options.version !== undefined) {
        return { kind: 'help', text: `${this.options.program} ${this.options.version}`, globals };
      } else this.#setGlobal(globals, flag);
    }
    // `sys "system start"`: the command quoted as one argument. Split it when its words name a command.
    const quoted = rest[0];
    if (quoted !== undefined && /\s/.test(quoted.trim())) {
      const split = tokenize(quoted).words;
      if (this.find(split) !== undefined) rest = [...split, ...rest.slice(1)];
    }
    const [first, second] = rest;
    if (first === undefined)
      return help ? { kind: 'help', text: this.help(), globals } : { kind: 'empty', globals };
    const command = this.find(rest);
    if (command === undefined) {
      if (this.namespaces.includes(first) && (second === undefined || second.startsWith('-'))) {
        if (help || rest.slice(1).some((w) => HELP_FLAGS.has(w))) {
          return { kind: 'help', text: this.help(first), globals };
        }
        throw new UsageError(
          `${first}: which command? One of: ${this.#inNamespace(first).join(', ')}. See \`${first} --help\``,
        );
      }
      throw new UsageError(this.#unknown(first, second));
    }
    rest = rest.slice(command.namespace === undefined ? 1 : 2);
    const dashDash = rest.indexOf('--');
    const flags = dashDash === -1 ? rest : rest.slice(0, dashDash);
    if (help || flags.some((w) => HELP_FLAGS.has(w)))
      return { kind: 'help', text: this.help(command.path), globals };
    const args = this.#parseCommand(command, rest, globals, { command: command.path, cwd });
    return { kind: 'run', command, args, globals };
  }

  #defaults(params: Params): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, p] of Object.entries(params)) out[name] = p.default;
    return out;
  }

  #setGlobal(globals: Record<string, unknown>, flag: string): void {
    for (const [name, p] of Object.entries(this.options.globals)) {
      if (flag === `--${kebab(name)}` || (p.short !== undefined && flag === `-${p.short}`)) {
        globals[name] = true;
        return;
      }
    }
    const flags = Object.keys(this.options.globals).map((n) => `--${kebab(n)}`);
    const near = nearest(flag, [...flags, '--help']);
    throw new UsageError(
      `unknown option ${JSON.stringify(flag)} before the command${near === undefined ? '' : ` (did you mean ${near}?)`}; see \`--help\``,
    );
  }

  #inNamespace(namespace: string): string[] {
    return this.#commands.filter((c) => c.namespace === namespace).map((c) => c.name);
  }

  #unknown(first: string, second: string | undefined): string {
    const typed = second === undefined || second.startsWith('-') ? first : `${first} ${second}`;
    const paths = this.#commands.map((c) => c.path);
    let near: string | undefined;
    if (this.namespaces.includes(first) && second !== undefined) {
      const name = nearest(second, this.#inNamespace(first));
      near = name === undefined ? undefined : `${first} ${name}`;
    } else {
      near =
        nearest(typed, paths) ??
        nearest(first, [...this.namespaces, ...paths.filter((p) => !p.includes(' '))]);
    }
    const hint = near === undefined ? '' : ` — did you mean \`${near}\`?`;
    return `unknown command ${JSON.stringify(typed)}${hint}; see \`help\` for the list`;
  }

  #parseCommand(
    command: CommandEntry<C>,
    words: string[],
    globals: Record<string, unknown>,
    ctx: CoerceContext,
  ): Record<string, unknown> {
    const params = { ...command.params, ...this.options.globals };
    const parser = new Commander(command.path)
      .exitOverride()
      .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} })
      .helpOption(false)
      .allowExcessArguments(false)
      .showSuggestionAfterError(true);
    const positionals: [string, ParamSpec][] = [];
    for (const [name, p] of Object.entries(params)) {
      if (p.positional) {
        positionals.push([name, p]);
        parser.argument(
          p.required && p.default === undefined ? `<${argName(name, p)}>` : `[${argName(name, p)}]`,
        );
      } else {
        const value = p.type === 'boolean' ? '' : ` <${placeholderOf(name, p)}>`;
        parser.addOption(
          new Option(`${p.short === undefined ? '' : `-${p.short}, `}--${kebab(name)}${value}`),
        );
      }
    }
    try {
      parser.parse(words, { from: 'user' });
    } catch (error) {
      if (!(error instanceof CommanderError)) throw error;
      const message = error.message
        .replace(/^error: /, '')
        .replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)');
      throw new UsageError(`${command.path}: ${message}; see \`${command.path} --help\``, command.path);
    }
    const raw: Record<string, unknown> = { ...parser.opts() };
    positionals.forEach(([name], i) => {
      raw[name] = parser.processedArgs[i];
    });
    const args: Record<string, unknown> = {};
    for (const [name, p] of Object.entries(params)) {
      const value = raw[name];
      if (typeof value === 'string' || typeof value === 'boolean') args[name] = coerce(name, p, value, ctx);
      else if (p.required && p.default === undefined) {
        throw new UsageError(`${command.path}: missing ${kebab(name)} (${expectation(p)})`, command.path);
      } else args[name] = p.default;
    }
    for (const name of Object.keys(this.options.globals)) {
      if (args[name] === true) globals[name] = true;
      delete args[name];
    }
    return args;
  }

  /** Help: the global list, a namespace's commands, or one command's usage, arguments and options. */
  help(topic?: string): string {
    const program = this.options.program;
    if (topic === undefined) {
      const rows = this.#commands.map((c) => [`${c.path}${this.#usageArgs(c)}`, c.description] as const);
      return [
        `${program} — ${this.options.summary}`,
        '',
        `Usage: ${program} <command> [options]   (no command: an interactive shell)`,
        '',
        'Commands:',
        ...table(rows),
        '',
        'Global options:',
        ...table(this.#optionRows(this.options.globals, true)),
        '',
        `Run \`${program} <command> --help\` (or \`help <command>\` in the shell) for a command's options.`,
      ].join('\n');
    }
    if (this.namespaces.includes(topic)) {
      const rows = this.#commands
        .filter((c) => c.namespace === topic)
        .map((c) => [`${c.path}${this.#usageArgs(c)}`, c.description] as const);
      return [`Usage: ${program} ${topic} <command> [options]`, '', 'Commands:', ...table(rows)].join('\n');
    }
    const command = this.find(topic.split(' '));
    if (command === undefined) throw new UsageError(this.#unknown(...splitTopic(topic)));
    const entries = Object.entries(command.params);
    const args = entries.filter(([, p]) => p.positional);
    const flags = Object.fromEntries(entries.filter(([, p]) => !p.positional));
    const lines = [`Usage: ${program} ${command.path}${this.#usageArgs(command)}`, '', command.description];
    if (args.length > 0) {
      lines.push('', 'Arguments:', ...table(args.map(([n, p]) => [`<${argName(n, p)}>`, describe(p)])));
    }
    if (Object.keys(flags).length > 0) lines.push('', 'Options:', ...table(this.#optionRows(flags)));
    lines.push('', 'Global options:', ...table(this.#optionRows(this.options.globals, true)));
    if (command.examples.length > 0) lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
    return lines.join('\n');
  }

  #usageArgs(command: CommandEntry<C>): string {
    let text = '';
    for (const [name, p] of Object.entries(command.params)) {
      if (!p.positional) continue;
      text += p.required && p.default === undefined ? ` <${argName(name, p)}>` : ` [${argName(name, p)}]`;
    }
    if (Object.values(command.params).some((p) => !p.positional)) text += ' [options]';
    return text;
  }

  #optionRows(params: Params, withHelp = false): (readonly [string, string])[] {
    const rows = Object.entries(params).map(([name, p]) => {
      const value = p.type === 'boolean' ? '' : ` <${placeholderOf(name, p)}>`;
      return [
        `${p.short === undefined ? '    ' : `-${p.short}, `}--${kebab(name)}${value}`,
        describe(p),
      ] as const;
    });
    return withHelp ? [...rows, ['-h, --help', 'Show help'] as const] : rows;
  }

  /**
   * Completions for the line typed so far, readline-style: `[candidates, the part of the line they
   * complete]`. Offers commands, then flags (after `-`), enum values and number keywords, and paths.
   */
  complete(line: string, cwd: string): [string[], string] {
    const { words, open } = tokenize(line, { partial: true });
    const current = open ? (words.pop() ?? '') : '';
    const match = (candidates: readonly string[]): [string[], string] => [
      candidates.filter((c) => c.startsWith(current)),
      current,
    ];
    const topLevel = this.#commands.filter((c) => c.namespace === undefined).map((c) => c.name);
    const globalFlags = Object.keys(this.options.globals).map((n) => `--${kebab(n)} `);
    let leading = 0;
    while (words[leading]?.startsWith('-') === true) leading++;
    const commandWords = words.slice(leading);
    if (commandWords.length === 0) {
      if (current.startsWith('-')) return match([...globalFlags, '--help ']);
      return match([...this.namespaces, ...topLevel].map((w) => `${w} `));
    }
    const [first] = commandWords;
    if (first !== undefined && this.namespaces.includes(first) && commandWords.length === 1) {
      return match(this.#inNamespace(first).map((w) => `${w} `));
    }
    const command = this.find(commandWords);
    if (command === undefined) return [[], current];
    const rest = commandWords.slice(command.namespace === undefined ? 1 : 2);
    const params = { ...command.params, ...this.options.globals };
    const byFlag = new Map(Object.entries(params).map(([n, p]) => [`--${kebab(n)}`, [n, p] as const]));
    const previous = byFlag.get(rest[rest.length - 1] ?? '');
    if (previous !== undefined && previous[1].type !== 'boolean') {
      return this.#completeValue(previous[1], current, cwd);
    }
    if (current.startsWith('-')) {
      const used = new Set(rest);
      const flags = [...byFlag.keys()].filter((f) => !used.has(f)).map((f) => `${f} `);
      return match([...flags, '--help ']);
    }
    let position = 0;
    for (let i = 0; i < rest.length; i++) {
      const word = rest[i] ?? '';
      const flag = byFlag.get(word);
      if (flag !== undefined) {
        if (flag[1].type !== 'boolean') i++;
      } else if (!word.startsWith('-')) position++;
    }
    const positional = Object.values(command.params).filter((p) => p.positional)[position];
    return positional === undefined ? [[], current] : this.#completeValue(positional, current, cwd);
  }

  #completeValue(p: ParamSpec, current: string, cwd: string): [string[], string] {
    if (p.type === 'path') return [completePath(current, cwd), current];
    if (p.type === 'boolean') return [['true ', 'false '].filter((c) => c.startsWith(current)), current];
    return [p.choices.map((c) => `${c} `).filter((c) => c.startsWith(current)), current];
  }
}

function splitTopic(topic: string): [string, string | undefined] {
  const [first = '', second] = topic.split(' ');
  return [first, second];
}

function describe(p: ParamSpec): string {
  let text = p.description;
  if (p.type === 'enum') text += ` (one of: ${p.choices.join(', ')})`;
  if (p.default !== undefined && p.default !== false) text += ` (default: ${String(p.default)})`;
  return text;
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

/** Files and directories whose names start with what is typed; directories end in `/`. */
function completePath(current: string, cwd: string): string[] {
  const slash = current.lastIndexOf('/');
  const dirPart = slash === -1 ? '' : current.slice(0, slash + 1);
  const base = slash === -1 ? current : current.slice(slash + 1);
  try {
    const dir = resolve(cwd, dirPart === '' ? '.' : dirPart);
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.name.startsWith(base) && (base.startsWith('.') || !e.name.startsWith('.')))
      .map((e) => `${dirPart}${e.name}${e.isDirectory() ? '/' : ' '}`)
      .sort();
  } catch {
    return [];
  }
}
