import { fileURLToPath } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { exitCodeOf, UsageError } from './errors.js';
import { param } from './params.js';
import { commandsFor, Registry } from './registry.js';

interface TestContext {
  calls: { path: string; args: Record<string, unknown> }[];
}

const define = commandsFor<TestContext>();

const fetch = define({
  namespace: 'feed',
  name: 'fetch',
  description: 'Fetch a feed',
  params: {
    source: param.path({ description: 'Where from', positional: true, required: true }),
    limit: param.number({ description: 'Most rows', integer: true, min: 1, default: 10 }),
    rate: param.number({ description: 'Rows per second', keywords: ['max'] }),
    format: param.enum(['json', 'csv'], { description: 'Output format', default: 'json' }),
    since: param.date({ description: 'First day' }),
    label: param.string({ description: 'A label', placeholder: 'text' }),
    dryRun: param.boolean({ description: 'Do nothing' }),
  },
  examples: ['feed fetch ./bars --limit 5'],
  handler: (args, ctx) => {
    ctx.calls.push({ path: 'feed fetch', args });
  },
});

const drop = define({
  namespace: 'feed',
  name: 'drop',
  description: 'Drop a feed',
  params: {},
  handler: () => {},
});

const quit = define({ name: 'quit', description: 'Leave', params: {}, handler: () => undefined });

function registry() {
  return new Registry<TestContext, { verbose: ReturnType<typeof param.boolean> }>({
    program: 'tool',
    summary: 'a test tool',
    globals: { verbose: param.boolean({ description: 'Say more', short: 'v' }) },
  }).add(fetch, drop, quit);
}

function usage(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('handler types come from the declaration', () => {
  it('types required, defaulted and optional parameters', () => {
    define({
      namespace: 'x',
      name: 'y',
      description: '',
      params: {
        a: param.number({ description: '', default: 1 }),
        b: param.number({ description: '', keywords: ['max'] }),
        c: param.enum(['p', 'q'], { description: '' }),
        d: param.boolean({ description: '' }),
        e: param.path({ description: '', required: true }),
      },
      handler: (args) => {
        expectTypeOf(args.a).toEqualTypeOf<number>();
        expectTypeOf(args.b).toEqualTypeOf<number | 'max' | undefined>();
        expectTypeOf(args.c).toEqualTypeOf<'p' | 'q' | undefined>();
        expectTypeOf(args.d).toEqualTypeOf<boolean>();
        expectTypeOf(args.e).toEqualTypeOf<string>();
      },
    });
  });
});

describe('parsing', () => {
  it('parses flags and positionals into typed values with defaults', () => {
    const parsed = registry().parse(
      ['feed', 'fetch', 'bars', '--rate', 'max', '--since=2024-02-29', '--dry-run'],
      '/data',
    );
    expect(parsed.kind).toBe('run');
    if (parsed.kind !== 'run') return;
    expect(parsed.command.path).toBe('feed fetch');
    expect(parsed.args).toEqual({
      source: '/data/bars',
      limit: 10,
      rate: 'max',
      format: 'json',
      since: '2024-02-29',
      label: undefined,
      dryRun: true,
    });
    expect(parsed.globals).toEqual({ verbose: false });
  });

  it('a REPL line with quotes parses the same as argv', () => {
    const r = registry();
    const line = r.parseLine(`feed fetch "my bars" --label 'a b' --rate 2.5 -v`, '/d');
    const argv = r.parse(['feed', 'fetch', 'my bars', '--label', 'a b', '--rate', '2.5', '-v'], '/d');
    expect(line).toEqual(argv);
    expect(line.kind === 'run' && line.args.label).toBe('a b');
    expect(line.kind === 'run' && line.args.rate).toBe(2.5);
    expect(line.globals.verbose).toBe(true);
  });

  it('takes global flags before the command too', () => {
    const parsed = registry().parse(['--verbose', 'quit'], '/');
    expect(parsed.kind === 'run' && parsed.globals.verbose).toBe(true);
  });

  it('an empty line is empty, --help alone is the global help', () => {
    expect(registry().parse([], '/').kind).toBe('empty');
    const help = registry().parse(['--help'], '/');
    expect(help.kind === 'help' && help.text).toContain('Usage: tool <command>');
  });

  it.each([
    [['feed', 'fetch', 'x', '--limit', 'abc'], '--limit expects a whole number ≥ 1, got "abc"'],
    [['feed', 'fetch', 'x', '--limit', '0'], '--limit expects a whole number ≥ 1, got "0"'],
    [['feed', 'fetch', 'x', '--limit', '2.5'], '--limit expects a whole number ≥ 1, got "2.5"'],
    [['feed', 'fetch', 'x', '--rate', 'fast'], '--rate expects a number or max, got "fast"'],
    [
      ['feed', 'fetch', 'x', '--format', 'jsn'],
      '--format expects one of json, csv, got "jsn" (did you mean json?)',
    ],
    [['feed', 'fetch', 'x', '--since', '2023-02-29'], '--since expects a date YYYY-MM-DD, got "2023-02-29"'],
    [['feed', 'fetch', 'x', '--limt', '3'], "unknown option '--limt' (did you mean --limit?)"],
    [['feed', 'fetch'], "missing required argument 'source'"],
    [['feed', 'fetch', 'x', 'y'], 'too many arguments'],
    [['feed', 'fetch', 'x', '--label'], "option '--label <text>' argument missing"],
  ])('%j is a usage error naming the flag and the expected type', (words, message) => {
    const error = usage(() => registry().parse(words, '/'));
    expect(error.message).toContain('feed fetch: ');
    expect(error.message).toContain(message);
    expect(error.code).toBe('USAGE');
    expect(exitCodeOf(error)).toBe(2);
  });

  it('suggests the nearest command for a typo', () => {
    expect(usage(() => registry().parse(['feed', 'fech'], '/')).message).toContain(
      'did you mean `feed fetch`?',
    );
    expect(usage(() => registry().parse(['fed', 'fetch'], '/')).message).toContain(
      'did you mean `feed fetch`?',
    );
    expect(usage(() => registry().parse(['quti'], '/')).message).toContain('did you mean `quit`?');
    expect(usage(() => registry().parse(['zzzzzzzz'], '/')).message).not.toContain('did you mean');
  });

  it('a namespace alone asks which command', () => {
    expect(usage(() => registry().parse(['feed'], '/')).message).toContain('One of: fetch, drop');
  });

  it('an unterminated quote is a usage error', () => {
    expect(usage(() => registry().parseLine('feed fetch "x', '/')).message).toContain(
      'unterminated double quote',
    );
  });
});

describe('help', () => {
  it('lists every command with its arguments, and the global options', () => {
    const text = registry().help();
    expect(text).toContain('feed fetch <source> [options]');
    expect(text).toContain('Fetch a feed');
    expect(text).toContain('quit');
    expect(text).toContain('-v, --verbose');
  });

  it('per command: usage, arguments, options with defaults and enum values, examples', () => {
    const parsed = registry().parse(['feed', 'fetch', '--help'], '/');
    expect(parsed.kind).toBe('help');
    const text = parsed.kind === 'help' ? parsed.text : '';
    expect(text).toContain('Usage: tool feed fetch <source> [options]');
    expect(text).toContain('<source>');
    expect(text).toMatch(/--limit <limit> +Most rows \(default: 10\)/);
    expect(text).toMatch(/--format <json\|csv> +Output format \(one of: json, csv\) \(default: json\)/);
    expect(text).toContain('--label <text>');
    expect(text).toContain('feed fetch ./bars --limit 5');
  });

  it('per namespace', () => {
    const parsed = registry().parse(['feed', '--help'], '/');
    expect(parsed.kind === 'help' && parsed.text).toContain('feed drop');
  });
});

describe('completion', () => {
  const r = registry();
  it('completes namespaces and top-level commands', () => {
    expect(r.complete('', '/')[0]).toEqual(['feed ', 'quit ']);
    expect(r.complete('q', '/')).toEqual([['quit '], 'q']);
  });
  it('completes commands of a namespace', () => {
    expect(r.complete('feed ', '/')[0]).toEqual(['fetch ', 'drop ']);
    expect(r.complete('feed f', '/')).toEqual([['fetch '], 'f']);
  });
  it('completes flags, leaving out the ones already given', () => {
    const [flags] = r.complete('feed fetch x --dry-run --', '/');
    expect(flags).toContain('--limit ');
    expect(flags).toContain('--verbose ');
    expect(flags).toContain('--help ');
    expect(flags).not.toContain('--dry-run ');
    expect(r.complete('feed fetch x --fo', '/')).toEqual([['--format '], '--fo']);
  });
  it('completes enum values and number keywords after their flag', () => {
    expect(r.complete('feed fetch x --format ', '/')[0]).toEqual(['json ', 'csv ']);
    expect(r.complete('feed fetch x --rate m', '/')).toEqual([['max '], 'm']);
  });
  it('completes paths for a path parameter', () => {
    // Relative to the package, whichever directory vitest runs from.
    const packageDir = fileURLToPath(new URL('..', import.meta.url));
    const [paths] = r.complete('feed fetch ', packageDir);
    expect(paths).toContain('src/');
    expect(r.complete('feed fetch src/regis', packageDir)[0]).toEqual([
      'src/registry.test.ts ',
      'src/registry.ts ',
    ]);
  });
  it('offers nothing for unknown commands', () => {
    expect(r.complete('nope --', '/')).toEqual([[], '--']);
  });
});

it('a command declared twice is refused', () => {
  expect(() => registry().add(quit)).toThrow('declared twice');
});
