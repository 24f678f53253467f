import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Json, SysError, waitFor } from '@sys/core';
import { assertZone, symbolProblem } from '@sys/market-data';
import type { ImportReport } from '@sys/market-data/duckdb';
import type { SystemManager } from '@sys/system-manager';
import { dataCommands } from './data-commands.js';
import { CancelledError, UsageError } from './errors.js';
import { feedCommands } from './feed-commands.js';
import { writeOutFile } from './files.js';
import { natsStatusCommand } from './nats.js';
import { type Output, table } from './output.js';
import { param, requiredPositional } from './params.js';
import { commandsFor, Registry } from './registry.js';
import { withRemote } from './remote.js';
import { serveCommand } from './serve.js';
import { CliSession } from './session.js';
import { dbParam, openStore } from './store.js';
import { timeCommands } from './time-commands.js';

/** What every sys command handler receives. */
export interface SysContext {
  /** Output with this command's `--compact` / `--quiet` applied. */
  readonly out: Output;
  /** Aborted by Ctrl-C: long commands stop and clean up. */
  readonly signal: AbortSignal;
  readonly session: CliSession;
  readonly registry: SysRegistry;
  /** Where relative paths and the default store live. */
  readonly cwd: string;
  /** The environment (SYS_SERVER, SYS_TOKEN). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Asks the shell to exit after this command (no-op in argv mode). */
  readonly exit: () => void;
  /** True in the shell (commands return at once there); false or absent for one command from argv. */
  readonly shell?: boolean;
  /** Asks the user a yes/no question on the terminal; absent when there is no terminal to ask on. */
  readonly confirm?: (question: string) => Promise<boolean>;
  /** Static files `serve` offers at `/` (the dashboard), when the binary has them. */
  readonly dashboardDir?: string;
}

/** Flags every sys command accepts. */
export const sysGlobals = {
  compact: param.boolean({ description: 'Compact JSON even on a terminal' }),
  pretty: param.boolean({ description: 'Indented JSON even when piped' }),
  quiet: param.boolean({ description: 'No progress lines or notes', short: 'q' }),
};

/** The registry type of the sys commands. */
export type SysRegistry = Registry<SysContext, typeof sysGlobals>;

const define = commandsFor<SysContext>();

// Declared once, used by every command that takes them.
const configParam = param.path({
  description: 'Session config (JSON); default: the bundled AAPL 2025-07-02 sample at max speed',
  positional: true,
  placeholder: 'config',
});
const speedParam = param.number({
  description: 'Replay speed: market time per wall time (1 = real time, 60 = a minute per second) or max',
  above: 0,
  keywords: ['max'],
  placeholder: 'x|max',
});

/** Longest `--interval`: an hour. Node's timers cannot wait past 2^31-1 ms (they fire at once instead). */
const MAX_INTERVAL_MS = 3_600_000;
const PROGRESS_MS = 200;

// Shared by `system json` and `backtest run`: declared once.
const outParam = param.path({
  description:
    'Write to this file instead of printing: a new or regular file is replaced atomically, a symlink is ' +
    'followed, a FIFO or character device is written through; anything else is refused',
  placeholder: 'file',
});
const gzipParam = param.boolean({ description: 'With --out: gzip the file' });
const debugParam = param.boolean({
  description: 'Also bars, historical summary, performance and queue stats',
});

/** Writes one JSON state to `--out` (optionally gzipped) and notes where and how much. */
async function writeState(state: Json, out: string, gzip: boolean, ctx: SysContext): Promise<void> {
  const text = `${JSON.stringify(state)}\n`;
  const data = gzip ? gzipSync(text) : text;
  const { how, path } = await writeOutFile(out, data);
  const size = Buffer.byteLength(data).toLocaleString('en-US');
  ctx.out.note(
    `wrote ${path === out ? out : `${path} (through the symlink ${out})`} (${size} bytes, ${how})`,
  );
}
const NY_TIME = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/New_York',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** Epoch ms as New York wall time, `2025-07-02 10:31 ET`. */
function marketTime(ms: number | null): string | null {
  return ms === null ? null : `${NY_TIME.format(ms).replace(',', '')} ET`;
}

function statusJson(manager: SystemManager | undefined): Json {
  if (manager === undefined) return { state: 'stopped', session: null };
  const p = manager.progress();
  const c = manager.config;
  return {
    state: manager.state,
    mode: c.mode,
    symbols: [...c.symbols],
    speed: c.speed,
    backtest_window: c.backtest === undefined ? null : { ...c.backtest },
    market_time: marketTime(p.marketTimeMs),
    bars_released: p.barsReleased,
    bars_per_second: p.barsPerSecond,
    ended: p.ended,
    error: manager.error?.message ?? null,
  };
}

/** Waits for the run to end, showing market time and bars/s on a terminal; Ctrl-C rejects with CancelledError. */
async function waitForRun(manager: SystemManager, ctx: SysContext, command: string): Promise<void> {
  if (manager.state === 'paused') {
    // Nothing moves while paused: waiting would never end.
    ctx.out.note(
      `${command}: the session is paused at ${marketTime(manager.progress().marketTimeMs) ?? 'its start'}; ` +
        '`system resume` or `system step N` first',
    );
    return;
  }
  const show = () => {
    const p = manager.progress();
    ctx.out.progress(
      `${command}: market ${marketTime(p.marketTimeMs) ?? '—'} · ${p.barsReleased.toLocaleString('en-US')} bars · ${p.barsPerSecond.toLocaleString('en-US')} bars/s`,
    );
  };
  const timer = ctx.out.showsProgress ? setInterval(show, PROGRESS_MS) : undefined;
  try {
    await waitFor(manager.done(), ctx.signal);
  } catch (error) {
    // The signal's own reason is Ctrl-C: the user cancelled, the run did not fail.
    if (ctx.signal.aborted && error === ctx.signal.reason) throw new CancelledError(command);
    throw error;
  } finally {
    if (timer !== undefined) clearInterval(timer);
    ctx.out.clearProgress();
  }
}

/** `started AAPL 2025-07-02 → 2025-07-02 at speed max`. */
function startedNote(manager: SystemManager): string {
  const c = manager.config;
  if (c.mode === 'live')
    return `started live ${c.symbols.join(', ')} from ${c.source.type === 'store' ? 'ingest' : `the ${c.source.type} feed`} (${c.clock} clock)`;
  const w = c.backtest === undefined ? '' : ` ${c.backtest.start_date} → ${c.backtest.end_date}`;
  return `started ${c.symbols.join(', ')}${w} at speed ${String(manager.speed)}`;
}

/** This package's version, printed by `sys --version`. */
const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** A directory import in which some files were refused (each is listed); exit code 1. */
class ImportRefusedError extends SysError {
  constructor(message: string) {
    super('IMPORT_REFUSED', `data import: ${message}`);
  }
}

/** One file's outcome in the import table. */
function importStatus(r: ImportReport): string {
  if (r.error !== undefined) return 'refused';
  if (r.inserted > 0 || r.replaced > 0) return 'imported';
  return r.rowsRead > 0 ? 'unchanged' : 'empty';
}

const systemStart = define({
  namespace: 'system',
  name: 'start',
  description: 'Start a session from a config (no config: the bundled AAPL 2025-07-02 sample)',
  params: { config: configParam, speed: speedParam },
  examples: ['system start', 'system start ./session.json --speed 60'],
  handler: async (args, ctx) => {
    const config = await ctx.session.config(args.config, args.speed);
    const manager = await ctx.session.start(config, 'system start');
    ctx.out.note(startedNote(manager));
    // One live session from argv runs until its feed ends or Ctrl-C, then prints its final state.
    if (config.mode === 'live' && ctx.shell !== true) await runLive(manager, ctx);
  },
});

/** Waits for a live session from argv; Ctrl-C ends it normally. Prints the final complete state. */
async function runLive(manager: SystemManager, ctx: SysContext): Promise<void> {
  try {
    await waitForRun(manager, ctx, 'system start');
  } catch (error) {
    if (!(error instanceof CancelledError)) throw error;
    await manager.stop();
  }
  ctx.out.json(manager.toJson({ complete: true, consumer: CliSession.consumer }));
}

const systemPause = define({
  namespace: 'system',
  name: 'pause',
  description: 'Freeze market time and the workers',
  params: {},
  handler: (_args, ctx) => {
    const manager = ctx.session.require('system pause');
    manager.pause();
    ctx.out.note(`paused at ${marketTime(manager.progress().marketTimeMs) ?? 'the start'}`);
  },
});

const systemResume = define({
  namespace: 'system',
  name: 'resume',
  description: 'Go on after a pause',
  params: {},
  handler: (_args, ctx) => {
    ctx.session.require('system resume').resume();
    ctx.out.note('resumed');
  },
});

const systemStop = define({
  namespace: 'system',
  name: 'stop',
  description: 'Stop the session and every worker (its last state stays for `system json`)',
  params: {},
  handler: async (_args, ctx) => {
    await ctx.session.require('system stop').stop();
    ctx.out.note('stopped');
  },
});

const systemStatus = define({
  namespace: 'system',
  name: 'status',
  description: 'State, market time and progress of the session',
  params: {},
  handler: (_args, ctx) => {
    ctx.out.json(statusJson(ctx.session.manager));
  },
});

const systemSpeed = define({
  namespace: 'system',
  name: 'speed',
  description: 'Change the replay speed at once',
  params: { speed: requiredPositional(speedParam) },
  examples: ['system speed 60', 'system speed max'],
  handler: (args, ctx) => {
    ctx.session.require('system speed').setSpeed(args.speed);
    ctx.out.note(`speed ${String(args.speed)}`);
  },
});

const systemStep = define({
  namespace: 'system',
  name: 'step',
  description: 'While paused, replay some market minutes, then stay paused',
  params: {
    minutes: param.number({
      description: 'Market minutes to replay',
      positional: true,
      integer: true,
      min: 1,
      default: 1,
    }),
  },
  examples: ['system step', 'system step 15'],
  handler: async (args, ctx) => {
    const manager = ctx.session.require('system step');
    await manager.step(args.minutes); // resolves once the minutes are applied
    const at = marketTime(manager.progress().marketTimeMs);
    ctx.out.note(
      `stepped ${args.minutes} minute${args.minutes === 1 ? '' : 's'}${at === null ? '' : ` to ${at}`}`,
    );
  },
});

const systemWait = define({
  namespace: 'system',
  name: 'wait',
  description: 'Wait until the backtest window is replayed (Ctrl-C stops waiting, not the session)',
  params: {},
  handler: async (_args, ctx) => {
    await waitForRun(ctx.session.require('system wait'), ctx, 'system wait');
  },
});

const systemJson = define({
  namespace: 'system',
  name: 'json',
  description:
    "The system state as JSON: what changed since this consumer's last call (the first is complete)",
  params: {
    complete: param.boolean({ description: 'The whole state, not the change set (resets this consumer)' }),
    debug: debugParam,
    consumer: param.string({
      description: 'Whose changes: each consumer has its own position',
      default: CliSession.consumer,
    }),
    watch: param.boolean({
      description: 'Print numbered envelopes (NDJSON, a snapshot then deltas) until Ctrl-C or the end',
    }),
    interval: param.number({
      description: 'With --watch: how often to look for changes',
      integer: true,
      min: 1,
      max: MAX_INTERVAL_MS,
      default: 1000,
      placeholder: 'ms',
    }),
    out: outParam,
    gzip: gzipParam,
  },
  examples: [
    'system json',
    'system json --complete --debug',
    'system json --watch --interval 250',
    'system json --complete --out state.json.gz --gzip',
  ],
  handler: async (args, ctx) => {
    const command = 'system json';
    if (args.watch && args.out !== undefined) {
      throw new UsageError(
        `${command}: --out writes one state and cannot be combined with --watch; redirect the watch's output instead`,
        command,
      );
    }
    if (args.gzip && args.out === undefined) {
      throw new UsageError(`${command}: --gzip needs --out FILE (compressed bytes are not printed)`, command);
    }
    const manager = ctx.session.require(command);
    if (args.watch) {
      // Always open with a snapshot, so the lines alone rebuild the state whatever this consumer read before.
      const first = manager.read(args.consumer, { complete: true, debug: args.debug }).envelope;
      ctx.out.line(JSON.stringify(first));
      const envelopes = manager.subscribe(args.consumer, {
        debug: args.debug,
        intervalMs: args.interval,
        signal: ctx.signal,
      });
      for await (const envelope of envelopes) ctx.out.line(JSON.stringify(envelope));
      return;
    }
    const state = manager.toJson({ complete: args.complete, debug: args.debug, consumer: args.consumer });
    if (args.out === undefined) {
      ctx.out.json(state);
      return;
    }
    await writeState(state, args.out, args.gzip, ctx);
  },
});

const dataImport = define({
  namespace: 'data',
  name: 'import',
  description: 'Import bars from a CSV/Parquet file, or every such file of a directory, into the store',
  params: {
    source: param.path({
      description: 'A .csv or .parquet file, or a directory of them',
      positional: true,
      required: true,
      placeholder: 'file|dir',
    }),
    skipBad: param.boolean({
      description: 'Import the good rows and list the bad ones (default: a bad row fails its file)',
    }),
    replace: param.boolean({
      description: 'Overwrite stored bars that differ (default: such a conflict fails the file)',
    }),
    zone: param.string({
      description: 'IANA time zone of timestamps written without Z or an offset (e.g. America/New_York)',
      placeholder: 'zone',
    }),
    symbol: param.string({
      description: 'Symbol of every row of a file without a symbol column (default: from the file name)',
      placeholder: 'symbol',
    }),
    db: dbParam,
  },
  examples: [
    'data import ./bars',
    'data import AAPL_2025-07-02.csv --skip-bad --db /tmp/sys.duckdb',
    'data import bars.csv --zone America/New_York --symbol AAPL',
  ],
  handler: async (args, ctx) => {
    const command = 'data import';
    const badSymbol = args.symbol === undefined ? undefined : symbolProblem(args.symbol);
    if (badSymbol !== undefined) throw new UsageError(`${command}: --symbol ${badSymbol}`, command);
    if (args.zone !== undefined) {
      try {
        assertZone(args.zone);
      } catch (error) {
        throw new UsageError(`${command}: --zone ${(error as Error).message}`, command);
      }
    }
    const { store } = await openStore(args.db, ctx.cwd, 'import');
    try {
      const reports = await store.importPath(args.source, {
        skipBad: args.skipBad,
        replace: args.replace,
        ...(args.zone === undefined ? {} : { zone: args.zone }),
        ...(args.symbol === undefined ? {} : { symbol: args.symbol }),
        onProgress: (rows) => {
          // Throwing here rolls the current file's transaction back; files done before it stay imported.
          if (ctx.signal.aborted)
            throw new CancelledError('data import', 'cancelled; the file being read was rolled back');
          ctx.out.progress(`data import: ${rows.toLocaleString('en-US')} rows of ${basename(args.source)}`);
        },
      });
      ctx.out.clearProgress();
      ctx.out.line(
        table(
          ['file', 'status', 'rows', 'inserted', 'unchanged', 'replaced', 'skipped'],
          reports.map((r) => [
            basename(r.file),
            importStatus(r),
            r.rowsRead,
            r.inserted,
            r.unchanged,
            r.replaced,
            r.skipped.length,
          ]),
        ),
      );
      const refused = reports.filter((r) => r.error !== undefined);
      for (const r of refused) ctx.out.error(`refused ${r.error?.message ?? r.file}`);
      const LIMIT = 20;
      for (const r of reports) {
        for (const s of r.skipped.slice(0, LIMIT)) ctx.out.note(`skipped ${r.file}:${s.line}: ${s.reason}`);
        if (r.skipped.length > LIMIT)
          ctx.out.note(`… and ${r.skipped.length - LIMIT} more skipped rows in ${r.file}`);
      }
      if (refused.length > 0) {
        throw new ImportRefusedError(
          `${refused.length} of ${reports.length} files refused (nothing of them stored; the others are imported)`,
        );
      }
    } finally {
      ctx.out.clearProgress();
      await store.close();
    }
  },
});

const dataList = define({
  namespace: 'data',
  name: 'list',
  description: 'What the store holds: per symbol the first and last day, days and bars',
  params: { db: dbParam },
  handler: async (args, ctx) => {
    const { store, path } = await openStore(args.db, ctx.cwd, 'read');
    try {
      const rows = await store.coverage();
      ctx.out.line(
        table(
          ['symbol', 'first_day', 'last_day', 'days', 'bars'],
          rows.map((r) => [r.symbol, r.firstDay, r.lastDay, r.days, r.bars]),
        ),
      );
      if (rows.length === 0) ctx.out.note(`${path} holds no bars yet; \`data import <file|dir>\` adds some`);
    } finally {
      await store.close();
    }
  },
});

const backtestRun = define({
  namespace: 'backtest',
  name: 'run',
  description: 'Run a backtest to the end and print the final complete state (`system json --complete`)',
  params: { config: configParam, speed: speedParam, debug: debugParam, out: outParam, gzip: gzipParam },
  examples: [
    'backtest run',
    'backtest run ./session.json --speed max',
    'backtest run ./session.json --debug --out final.json.gz --gzip',
  ],
  handler: async (args, ctx) => {
    if (args.gzip && args.out === undefined) {
      throw new UsageError(
        'backtest run: --gzip needs --out FILE (compressed bytes are not printed)',
        'backtest run',
      );
    }
    const config = await ctx.session.config(args.config, args.speed);
    const manager = await ctx.session.start(config, 'backtest run');
    ctx.out.note(startedNote(manager));
    try {
      await waitForRun(manager, ctx, 'backtest run');
    } catch (error) {
      if (error instanceof CancelledError) await manager.stop();
      throw error;
    }
    const state = manager.toJson({ complete: true, debug: args.debug, consumer: CliSession.consumer });
    if (args.out === undefined) ctx.out.json(state);
    else await writeState(state, args.out, args.gzip, ctx);
  },
});

const help = define({
  name: 'help',
  description: 'List the commands, or show one command’s usage',
  params: {
    namespace: param.string({
      description: 'A namespace or top-level command',
      positional: true,
      placeholder: 'command',
    }),
    command: param.string({
      description: 'A command of that namespace',
      positional: true,
      placeholder: 'subcommand',
    }),
  },
  examples: ['help', 'help system json'],
  handler: (args, ctx) => {
    const topic = [args.namespace, args.command].filter((w) => w !== undefined).join(' ');
    ctx.out.line(ctx.registry.help(topic === '' ? undefined : topic));
  },
});

const exit = define({
  name: 'exit',
  description: 'Leave the shell, stopping the session (Ctrl-D does the same)',
  params: {},
  handler: (_args, ctx) => {
    ctx.exit();
  },
});

/** The sys command registry: every command the `sys` tool and its shell know. */
export function sysRegistry(): SysRegistry {
  return new Registry<SysContext, typeof sysGlobals>({
    program: 'sys',
    summary: 'run trading sessions and show their state as JSON',
    globals: sysGlobals,
    version: VERSION,
  }).add(
    ...[
      systemStart,
      systemPause,
      systemResume,
      systemStop,
      systemStatus,
      systemSpeed,
      systemStep,
      systemWait,
      systemJson,
    ].map(withRemote),
    serveCommand(configParam, speedParam),
    natsStatusCommand,
    dataImport,
    dataList,
    ...dataCommands(),
    ...feedCommands(),
    ...timeCommands(),
    backtestRun,
    help,
    exit,
  );
}
