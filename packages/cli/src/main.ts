import { homedir } from 'node:os';
import { join } from 'node:path';
import { type SysContext, type SysRegistry, sysRegistry } from './commands.js';
import { BROKEN_PIPE_EXIT, exitCodeOf, isBrokenPipe, UsageError } from './errors.js';
import { Output } from './output.js';
import { startRepl } from './repl.js';
import { CliSession, type ManagerFactory } from './session.js';

/** The process as sys sees it; tests pass their own streams, environment and directory. */
export interface SysIo {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Where SIGINT arrives when stdin is not a terminal (default: process). */
  readonly signals?: NodeJS.EventEmitter;
}

/** Options of `main`. */
export interface MainOptions {
  /** Makes the SystemManager for a config (default: a real one). */
  readonly createManager?: ManagerFactory;
  /** History file of the shell (default: $SYS_HISTORY_FILE, else ~/.sys_history). */
  readonly historyFile?: string;
  /** The command registry (default: `sysRegistry()`). */
  readonly registry?: SysRegistry;
  /** A folder of static files `serve` offers at `/` (the built dashboard; default: none, API only). */
  readonly dashboardDir?: string;
}

/** Resolves once what was written to `stream` has been handed on (or has failed), and its errors emitted. */
async function settled(stream: NodeJS.WritableStream): Promise<void> {
  await new Promise<void>((resolve) => {
    try {
      stream.write('', () => resolve());
    } catch {
      resolve();
    }
  });
  await new Promise((resolve) => setImmediate(resolve));
}

/** The REPL's prompt. */
export const PROMPT = 'system@mismartera: ';

/** Asks a yes/no question on the terminal; only `y` or `yes` is a yes. */
async function ask(io: SysIo, question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** The real process's streams, environment and directory. */
export function processIo(): SysIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    signals: process,
  };
}

/**
 * The `sys` tool: with arguments, runs that one command and returns its exit code (0 ok, 1 failed,
 * 2 bad usage, 130 cancelled); without, runs the shell until `exit`, Ctrl-D or EOF. Either way an active
 * session is stopped before it returns.
 */
export async function main(
  argv: readonly string[],
  io: SysIo = processIo(),
  options: MainOptions = {},
): Promise<number> {
  const registry = options.registry ?? sysRegistry();
  const base = new Output(io.stdout, io.stderr, { env: io.env });
  // One command from argv waits for what it needs itself; only the shell reports runs ending in the background.
  let notify: (text: string, failed: boolean) => void = () => {};
  const session = new CliSession({
    ...(options.createManager === undefined ? {} : { createManager: options.createManager }),
    notify: (text, failed) => notify(text, failed),
  });
  let exitRequested = false;
  // A reader that goes away (`sys … | head`) closes stdout: its 'error' must not crash the process with a
  // stack trace. The running command is cancelled and sys exits 141, as a tool killed by SIGPIPE does.
  let brokenPipe = false;
  let cancelRunning: () => void = () => {};
  const onStdoutError = (error: unknown): void => {
    if (!isBrokenPipe(error)) return;
    brokenPipe = true;
    cancelRunning();
  };
  const stdoutEvents = io.stdout as Partial<NodeJS.EventEmitter>;
  stdoutEvents.on?.('error', onStdoutError);

  const execute = async (
    words: readonly string[] | string,
    signal: AbortSignal,
    where = '',
  ): Promise<number> => {
    try {
      const parsed =
        typeof words === 'string' ? registry.parseLine(words, io.cwd) : registry.parse(words, io.cwd);
      if (parsed.globals.compact && parsed.globals.pretty)
        throw new UsageError('--compact and --pretty ask for opposite things; give one of them');
      const out = base.with({
        compact: parsed.globals.compact,
        pretty: parsed.globals.pretty,
        quiet: parsed.globals.quiet,
      });
      if (parsed.kind === 'empty') return 0;
      if (parsed.kind === 'help') {
        out.line(parsed.text);
        return 0;
      }
      const ctx: SysContext = {
        out,
        signal,
        session,
        registry,
        cwd: io.cwd,
        env: io.env,
        ...(options.dashboardDir === undefined ? {} : { dashboardDir: options.dashboardDir }),
        exit: () => {
          exitRequested = true;
        },
        shell: typeof words === 'string',
        ...(typeof words !== 'string' && io.stdin.isTTY === true
          ? { confirm: (q: string) => ask(io, q) }
          : {}),
      };
      await parsed.command.handler(parsed.args, ctx);
      return 0;
    } catch (error) {
      // Nobody reads stdout any more: stop as quietly as a tool killed by SIGPIPE.
      if (brokenPipe || isBrokenPipe(error)) return BROKEN_PIPE_EXIT;
      base.error(`${where}${error instanceof Error ? error.message : String(error)}`);
      if (io.env.SYS_DEBUG !== undefined && error instanceof Error) io.stderr.write(`${error.stack}\n`);
      return exitCodeOf(error);
    }
  };

  try {
    if (argv.length > 0) {
      const controller = new AbortController();
      cancelRunning = () => controller.abort();
      // The first Ctrl-C asks the command to stop cleanly; without our listener a second one ends the process.
      const onInterrupt = () => {
        controller.abort();
        io.signals?.off('SIGINT', onInterrupt);
        io.signals?.off('SIGTERM', onInterrupt);
      };
      io.signals?.on('SIGINT', onInterrupt);
      // SIGTERM (a service manager stopping `sys serve`) stops the command cleanly too.
      io.signals?.on('SIGTERM', onInterrupt);
      try {
        const code = await execute(argv, controller.signal);
        // A write to a closed pipe fails after the command returned: let that error arrive before deciding.
        await settled(io.stdout);
        return brokenPipe ? BROKEN_PIPE_EXIT : code;
      } finally {
        io.signals?.off('SIGINT', onInterrupt);
        io.signals?.off('SIGTERM', onInterrupt);
      }
    }
    const historyFile = options.historyFile ?? io.env.SYS_HISTORY_FILE ?? join(homedir(), '.sys_history');
    const piped = io.stdin.isTTY !== true;
    let current: AbortController | undefined;
    const repl = startRepl({
      io,
      prompt: PROMPT,
      historyFile,
      warn: (text) => base.note(text),
      complete: (line) => registry.complete(line, io.cwd),
      run: async (line, signal, number) => {
        const controller = new AbortController();
        signal.addEventListener('abort', () => controller.abort(), { once: true });
        current = controller;
        cancelRunning = () => {
          controller.abort();
          repl.close();
        };
        try {
          const code = await execute(line, controller.signal, piped ? `line ${number}: ` : '');
          return { code, exit: exitRequested };
        } finally {
          current = undefined;
        }
      },
    });
    // Nobody reads the output any more: the shell ends too (a command running is cancelled first).
    cancelRunning = () => repl.close();
    // On a terminal, redraw the prompt around the message; piped, keep stdout for data.
    notify = (text, failed) => (failed ? base.error(text) : piped ? base.note(text) : repl.print(text));
    // Without a terminal, Ctrl-C reaches the process, not readline: cancel the running command, or leave.
    const onInterrupt = () => {
      if (current !== undefined) current.abort();
      else repl.close();
    };
    if (piped) io.signals?.on('SIGINT', onInterrupt);
    try {
      const code = await repl.finished;
      return brokenPipe ? BROKEN_PIPE_EXIT : code;
    } finally {
      io.signals?.off('SIGINT', onInterrupt);
    }
  } finally {
    await session.close();
  }
}
