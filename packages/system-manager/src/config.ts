import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { SysError } from '@sys/core';
import {
  INDICATOR_NAMES,
  type IndicatorName,
  IndicatorParamError,
  resolveIndicatorSpec,
} from '@sys/indicators';
import { symbolProblem } from '@sys/market-data';
import { samplePath } from '@sys/market-data/samples';
import {
  CALENDAR_FIRST_YEAR,
  CALENDAR_LAST_YEAR,
  InvalidSpeedError,
  type IsoDate,
  NyseCalendar,
  parseIsoDate,
  parseSpeed,
  type Speed,
} from '@sys/market-time';
import { z } from 'zod';

/** One problem of a config: where (a JSON path like `backtest.start_date`) and what is expected. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** A session config that cannot run; lists every problem at once. Nothing was started. */
export class ConfigError extends SysError {
  /** Every problem found, each with its JSON path. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], source = 'config') {
    const lines = issues.map((i) => `  - ${i.path === '' ? '(root)' : i.path}: ${i.message}`);
    super(
      'CONFIG',
      `${source} is not valid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    );
    this.issues = issues;
  }
}

const isoDate = z
  .string()
  .refine((s) => {
    try {
      parseIsoDate(s);
      return true;
    } catch {
      return false;
    }
  }, 'expected a calendar date "YYYY-MM-DD"')
  .refine((s) => {
    const year = Number(s.slice(0, 4));
    return year >= CALENDAR_FIRST_YEAR && year <= CALENDAR_LAST_YEAR;
  }, `outside the calendar: it covers ${CALENDAR_FIRST_YEAR}-01-01 to ${CALENDAR_LAST_YEAR}-12-31`);

/** A symbol by the one symbol rule of @sys/market-data (the rule bar imports follow too). */
const symbol = z.string().superRefine((s, ctx) => {
  const problem = symbolProblem(s);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const speed = z.union([z.number(), z.string()]).transform((value, ctx): Speed => {
  try {
    return parseSpeed(value);
  } catch (e) {
    ctx.addIssue({
      code: 'custom',
      message: e instanceof InvalidSpeedError ? e.message : 'expected a speed: a number > 0 or "max"',
    });
    return z.NEVER;
  }
});

const paths = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((p) => (Array.isArray(p) ? p : [p]));

// The stored sources: a session reads from them, and a live feed backfills missed minutes from them.
const storeSource = z.strictObject({
  type: z.literal('store'),
  path: z.string().min(1).optional().describe('DuckDB file; default <cwd>/data/sys.duckdb'),
});
const csvSource = z.strictObject({ type: z.literal('csv'), paths, zone: z.string().min(1).optional() });
const parquetSource = z.strictObject({
  type: z.literal('parquet'),
  paths,
  zone: z.string().min(1).optional(),
});

const source = z.discriminatedUnion('type', [
  storeSource,
  csvSource,
  parquetSource,
  z.strictObject({
    type: z.literal('synthetic'),
    seed: z.number().int(),
    gap_rate: z.number().min(0).max(1).optional(),
  }),
  // Live feeds (mode "live" only).
  z.strictObject({
    type: z.literal('ndjson'),
    path: z.string().min(1).optional().describe('a file of NDJSON bars; "-" or absent: stdin'),
    follow: z.boolean().optional().describe('tail the file: read lines as they are appended'),
    url: z
      .string()
      .regex(/^tcp:\/\/[^:/]+:\d{1,5}$/, 'expected tcp://HOST:PORT')
      .optional()
      .describe('read NDJSON from a TCP server instead of a file'),
  }),
  wsFeed('alpaca'),
  wsFeed('polygon'),
]);

const indicator = z.strictObject({
  name: z.enum(INDICATOR_NAMES as [IndicatorName, ...IndicatorName[]]),
  interval: z.enum(['1m', '5m', '15m', '30m', '1h']),
  period: z.number().optional(),
  fast: z.number().optional(),
  slow: z.number().optional(),
  signal: z.number().optional(),
  smooth: z.number().optional(),
  k: z.number().optional(),
  symbols: z.array(z.string()).min(1).optional().describe('only these symbols; default every symbol'),
});

function wsFeed<T extends 'alpaca' | 'polygon'>(type: T) {
  return z.strictObject({
    type: z.literal(type),
    url: z.string().regex(/^wss?:\/\/\S+$/, 'expected a ws:// or wss:// address'),
    symbols: z.array(z.string().min(1)).min(1).optional().describe("default: the config's symbols"),
    key: z.string().optional(),
    secret: z.string().optional(),
    heartbeat_ms: z.number().int().min(100).optional(),
    max_attempts: z.number().int().min(1).optional(),
    backoff: z
      .strictObject({
        initial_ms: z.number().int().min(1).optional(),
        max_ms: z.number().int().min(1).optional(),
        jitter: z.number().min(0).max(1).optional(),
      })
      .optional(),
    backfill: z
      .discriminatedUnion('type', [storeSource, csvSource, parquetSource])
      .optional()
      .describe('where minutes missed while disconnected are read from'),
  });
}

/** How `sys serve` reaches NATS: the URL, the run's name there, and a token or an `nsc` creds file. */
const natsConnection = {
  url: z
    .string()
    .regex(/^(nats|tls):\/\/\S+$/, 'expected nats://HOST:PORT (several comma-separated; or tls://)'),
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "expected 1-64 letters, digits, '_' or '-' (a NATS subject token)")
    .optional()
    .describe('the run\'s name on NATS (stream sys_<name>); default "sys"'),
  token: z.string().min(1).optional().describe('NATS token'),
  creds_file: z.string().min(1).optional().describe('an nsc .creds file; relative to the config file'),
};

/** `publish`: `sys serve` also publishes every position to NATS JetStream (see @sys/nats). */
const publish = z.strictObject({
  ...natsConnection,
  max_age_seconds: z.number().int().min(1).optional().describe('how long an envelope stays in the stream'),
  max_bytes: z.number().int().min(1024).optional().describe('most bytes the stream keeps'),
  snapshot_every: z.number().int().min(1).optional().describe('a snapshot every this many positions'),
  snapshot_seconds: z.number().int().min(1).optional().describe('…or every this many seconds'),
});

/** `follow`: `sys serve` is a replica of a published run (see @sys/nats); no session runs. */
const follow = z.strictObject({
  ...natsConnection,
  checkpoint: z
    .string()
    .min(1)
    .optional()
    .describe("file of the replica's position, to resume from after a restart; relative to the config file"),
});

/** Where and how `sys serve` publishes to NATS (the config's `publish`). */
export type PublishConfig = z.output<typeof publish>;
/** Which published run a replica follows, and how (a replica config's `follow`). */
export type FollowConfig = z.output<typeof follow>;

/** Source types that are live feeds. */
export const LIVE_SOURCE_TYPES: readonly string[] = ['ndjson', 'alpaca', 'polygon'];

const schema = z.strictObject({
  symbols: z.array(symbol).min(1, 'expected at least one symbol'),
  source: source.default({ type: 'store' }),
  backtest: z.strictObject({ start_date: isoDate, end_date: isoDate }).optional(),
  speed: speed.default('max'),
  historical_days: z.number().int().min(0).max(250).default(0),
  mode: z.enum(['backtest', 'live']).default('backtest'),
  clock: z.enum(['wall', 'feed']).default('wall'),
  sessions: z.enum(['regular', 'extended']).default('regular'),
  indicators: z.array(indicator).default([]),
  feed: z
    .strictObject({
      max_retained_bytes_per_consumer: z.number().int().positive().optional(),
      max_consumers: z.number().int().positive().optional(),
    })
    .default({}),
  publish: publish.optional(),
});

/** A session config: what to replay (or stream live), from where, over which days, how fast. */
export type SessionConfig = z.output<typeof schema>;
/** The config as written in a file (defaults not yet applied). */
export type SessionConfigInput = z.input<typeof schema>;
/** Where bars come from. */
export type SourceConfig = SessionConfig['source'];

function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out;
}

/** A stored source's file paths made absolute against `base` (other sources are left as they are). */
function resolvePaths(s: SourceConfig, base: string): void {
  if (s.type === 'csv' || s.type === 'parquet') s.paths = s.paths.map((p) => resolve(base, p));
  if (s.type === 'store' && s.path !== undefined) s.path = resolve(base, s.path);
}

/** Configs that parseConfig produced: the one sure way to tell a checked config from raw input. */
const parsedConfigs = new WeakSet<object>();

/** True for a config returned by parseConfig (so it need not be checked again). */
export function isParsedConfig(config: unknown): config is SessionConfig {
  return typeof config === 'object' && config !== null && parsedConfigs.has(config);
}

/**
 * Checks a config and fills its defaults. Every problem is reported at once with its JSON path — types,
 * unknown keys, dates, a speed of 0, an end before the start, a window without trading days — before
 * anything starts. Relative source paths are resolved against `baseDir`.
 */
export function parseConfig(
  input: unknown,
  options: { baseDir?: string; source?: string } = {},
): SessionConfig {
  if (isReplicaInput(input)) {
    throw new ConfigError(
      [{ path: 'follow', message: "a replica's config runs no session: give it to `sys serve`" }],
      options.source,
    );
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ path: pathOf(i.path), message: i.message })),
      options.source,
    );
  }
  const config = parsed.data;
  const issues: ConfigIssue[] = [];
  if (config.mode === 'backtest') {
    const w = config.backtest;
    if (w === undefined) {
      issues.push({
        path: 'backtest',
        message: 'a backtest needs a window: { "start_date": …, "end_date": … }',
      });
    } else if (w.end_date < w.start_date) {
      issues.push({
        path: 'backtest.end_date',
        message: `${w.end_date} is before start_date ${w.start_date}`,
      });
    } else if (new NyseCalendar().tradingDays(w.start_date, w.end_date).length === 0) {
      issues.push({
        path: 'backtest',
        message: `no trading day between ${w.start_date} and ${w.end_date} (weekends and holidays only)`,
      });
    }
  }
  const live = LIVE_SOURCE_TYPES.includes(config.source.type);
  if (live && config.mode !== 'live') {
    issues.push({ path: 'source.type', message: `a ${config.source.type} feed needs "mode": "live"` });
  }
  if (config.mode === 'live' && !live && config.source.type !== 'store') {
    issues.push({
      path: 'source.type',
      message: `live mode reads a feed: "ndjson", "alpaca" or "polygon" (not "${config.source.type}")`,
    });
  }
  if (new Set(config.symbols).size !== config.symbols.length) {
    issues.push({ path: 'symbols', message: 'each symbol may appear once' });
  }
  issues.push(...indicatorIssues(config));
  if (issues.length > 0) throw new ConfigError(issues, options.source);
  const base = options.baseDir;
  if (base !== undefined) {
    const s = config.source;
    resolvePaths(s, base);
    if (s.type === 'ndjson' && s.path !== undefined && s.path !== '-') s.path = resolve(base, s.path);
    if ((s.type === 'alpaca' || s.type === 'polygon') && s.backfill !== undefined)
      resolvePaths(s.backfill, base);
    if (config.publish?.creds_file !== undefined) {
      config.publish.creds_file = resolve(base, config.publish.creds_file);
    }
  }
  parsedConfigs.add(config);
  return config;
}

/** A replica's config (`sys serve`): it follows a published run and runs no session, so it holds only `follow`. */
export interface ReplicaConfig {
  readonly follow: FollowConfig;
}

/** True for a replica's config (as `parseServeConfig` returns it), false for a session config. */
export function isReplicaConfig(config: SessionConfig | ReplicaConfig): config is ReplicaConfig {
  return 'follow' in config;
}

function isReplicaInput(input: unknown): input is Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input) && 'follow' in input;
}

/**
 * Checks a config for `sys serve`: a session config (which may carry `publish`), or a replica's
 * `{ "follow": { "url", "name"?, "token"?, "creds_file"?, "checkpoint"? } }`. `publish` and `follow`
 * together, or session keys beside `follow`, are problems like any other, each named by its path. Relative
 * `creds_file` and `checkpoint` are resolved against `baseDir`.
 */
export function parseServeConfig(
  input: unknown,
  options: { baseDir?: string; source?: string } = {},
): SessionConfig | ReplicaConfig {
  if (!isReplicaInput(input)) return parseConfig(input, options);
  const issues: ConfigIssue[] = [];
  for (const key of Object.keys(input)) {
    if (key === 'follow') continue;
    issues.push({
      path: key,
      message:
        key === 'publish'
          ? 'publish and follow exclude each other: a replica does not publish'
          : 'a replica\'s config (follow) runs no session: it holds only "follow"',
    });
  }
  const parsed = follow.safeParse(input.follow);
  if (!parsed.success) {
    for (const i of parsed.error.issues)
      issues.push({ path: pathOf(['follow', ...i.path]), message: i.message });
  }
  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues, options.source);
  const f = parsed.data;
  const base = options.baseDir;
  if (base !== undefined) {
    if (f.creds_file !== undefined) f.creds_file = resolve(base, f.creds_file);
    if (f.checkpoint !== undefined) f.checkpoint = resolve(base, f.checkpoint);
  }
  return { follow: f };
}

/** Reads and checks a config file for `sys serve` (see `parseServeConfig`); paths are relative to the file. */
export async function loadServeConfig(file: string): Promise<SessionConfig | ReplicaConfig> {
  return parseServeConfig(await readJson(file), { baseDir: dirname(resolve(file)), source: file });
}

/** An indicator as declared in a config. */
export type IndicatorConfig = SessionConfig['indicators'][number];

/** The indicators a config declares for `symbol` (those for every symbol and those naming it), in order. */
export function indicatorsOf(config: SessionConfig, symbol: string): IndicatorConfig[] {
  return config.indicators.filter((i) => i.symbols === undefined || i.symbols.includes(symbol));
}

/** Parameters out of range (the indicators package's own check), unknown symbols, one key twice for a symbol. */
function indicatorIssues(config: SessionConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, number>();
  config.indicators.forEach((ind, i) => {
    let key: string;
    try {
      key = `${resolveIndicatorSpec(ind).key}_${ind.interval}`;
    } catch (e) {
      if (!(e instanceof IndicatorParamError)) throw e;
      issues.push({ path: `indicators[${i}].${e.param}`, message: e.message });
      return;
    }
    ind.symbols?.forEach((sym, j) => {
      if (!config.symbols.includes(sym))
        issues.push({
          path: `indicators[${i}].symbols[${j}]`,
          message: `${sym} is not one of the config's symbols`,
        });
    });
    for (const sym of ind.symbols ?? config.symbols) {
      const first = seen.get(`${sym}\u0000${key}`);
      if (first !== undefined) {
        issues.push({
          path: `indicators[${i}]`,
          message: `${key} is declared for ${sym} already by indicators[${first}]`,
        });
        break;
      }
      seen.set(`${sym}\u0000${key}`, i);
    }
  });
  return issues;
}

/** Reads and checks a JSON config file; source paths are relative to the file. */
export async function loadConfig(file: string): Promise<SessionConfig> {
  return parseConfig(await readJson(file), { baseDir: dirname(resolve(file)), source: file });
}

/** The JSON of a config file, or a ConfigError naming the file. */
async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError([{ path: '', message: `cannot read ${file}: ${(e as Error).message}` }], file);
  }
  let json: unknown;
  try {
    // A BOM is how some editors mark UTF-8; the CSV reader accepts it, so does this.
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ConfigError([{ path: '', message: `not JSON: ${(e as Error).message}` }], file);
  }
  return json;
}

/**
 * The bundled real AAPL day (2025-07-02) from its CSV, replayed at `max` with the extended sessions (the
 * pre-market is replayed and kept apart from the session figures): the README's first command.
 */
export function sampleConfig(overrides: Partial<SessionConfigInput> = {}): SessionConfig {
  return parseConfig({
    symbols: ['AAPL'],
    source: { type: 'csv', paths: [samplePath('AAPL_2025-07-02.csv')] },
    backtest: { start_date: '2025-07-02', end_date: '2025-07-02' satisfies IsoDate },
    speed: 'max',
    sessions: 'extended',
    ...overrides,
  });
}
