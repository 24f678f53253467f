import { homedir } from 'node:os';
import { join } from 'node:path';
import { type SysContext, type SysRegistry, sysRegistry } from './commands.js';
import { exitCodeOf } from './errors.js';
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
}

/** The REPL's prompt. */
export const PROMPT = 'system@mismartera: ';

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

  const execute = async (
    words: readonly string[] | string,
    signal: AbortSignal,
    where = '',
  ): Promise<number> => {
    try {
      const parsed =
        typeof words === 'string' ? registry.parseLine(words, io.cwd) : registry.parse(words, io.cwd);
      const out = base.with({ compact: parsed.globals.compact, quiet: parsed.globals.quiet });
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
        exit: () => {
          exitRequested = true;
        },
      };
      await parsed.command.handler(parsed.args, ctx);
      return 0;
    } catch (error) {
      base.error(`${where}${error instanceof Error ? error.message : String(error)}`);
      if (io.env.SYS_DEBUG !== undefined && error instanceof Error) io.stderr.write(`${error.stack}\n`);
      return exitCodeOf(error);
    }
  };

  try {
    if (argv.length > 0) {
      const controller = new AbortController();
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
        return await execute(argv, controller.signal);
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
        try {
          const code = await execute(line, controller.signal, piped ? `line ${number}: ` : '');
          return { code, exit: exitRequested };
        } finally {
          current = undefined;
        }
      },
    });
    // On a terminal, redraw the prompt around the message; piped, keep stdout for data.
    notify = (text, failed) => (failed ? base.error(text) : piped ? base.note(text) : repl.print(text));
    // Without a terminal, Ctrl-C reaches the process, not readline: cancel the running command, or leave.
    const onInterrupt = () => {
      if (current !== undefined) current.abort();
      else repl.close();
    };
    if (piped) io.signals?.on('SIGINT', onInterrupt);
    try {
      return await repl.finished;
    } finally {
      io.signals?.off('SIGINT', onInterrupt);
    }
  } finally {
    await session.close();
  }
}
