import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface, type Interface } from 'node:readline';

/** What one line did: its exit code, and whether the shell should end. */
export interface LineResult {
  readonly code: number;
  readonly exit: boolean;
}

/** Streams of a REPL (process.stdin/stdout, or test doubles). */
export interface ReplIo {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Options of a REPL. */
export interface ReplOptions {
  readonly io: ReplIo;
  readonly prompt: string;
  /** Runs one line; `signal` aborts on Ctrl-C. Lines run one at a time, in order. */
  readonly run: (line: string, signal: AbortSignal, lineNumber: number) => Promise<LineResult>;
  /** Tab completion, readline-style. */
  readonly complete: (line: string) => [string[], string];
  /** Where history is kept across runs (terminal sessions only); undefined keeps none. */
  readonly historyFile?: string;
  /** Called when history cannot be saved (said once). */
  readonly warn?: (text: string) => void;
}

/** A running REPL: `print` writes a message without breaking the line being typed. */
export interface Repl {
  /** Resolves at Ctrl-D, EOF or `exit` with the exit code (piped: the last failing command's code). */
  readonly finished: Promise<number>;
  print(text: string): void;
  /** Ends input as Ctrl-D would. */
  close(): void;
}

const HISTORY_SIZE = 1000;

function loadHistory(file: string | undefined): string[] {
  if (file === undefined) return [];
  try {
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    return lines.slice(-HISTORY_SIZE).reverse();
  } catch {
    return []; // No history yet.
  }
}

/**
 * A line-oriented shell over node:readline. On a terminal: a prompt, tab completion, history kept in a
 * file, Ctrl-C cancels the running command (or clears the line), Ctrl-D leaves. Piped: reads lines and runs
 * them in order without prompts, and ends at EOF. Commands run asynchronously, so whatever they started
 * (a backtest) keeps running while the user types.
 */
export function startRepl(options: ReplOptions): Repl {
  const { io } = options;
  const terminal = io.stdin.isTTY === true && io.stdout.isTTY === true;
  const historyFile = terminal ? options.historyFile : undefined;
  const rl: Interface = createInterface({
    input: io.stdin,
    output: terminal ? io.stdout : undefined,
    terminal,
    prompt: options.prompt,
    completer: (line: string) => options.complete(line),
    history: loadHistory(historyFile),
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
  });
  let warned = false;
  if (historyFile !== undefined) {
    rl.on('history', (history: string[]) => {
      try {
        mkdirSync(dirname(historyFile), { recursive: true });
        // Completion leaves a trailing blank; keep the command, not the keystrokes.
        const lines = [...new Set(history.map((l) => l.trim()))].reverse();
        writeFileSync(historyFile, `${lines.join('\n')}\n`);
      } catch (error) {
        if (!warned) options.warn?.(`cannot save history to ${historyFile}: ${(error as Error).message}`);
        warned = true;
      }
    });
  }

  const queue: { line: string; number: number }[] = [];
  let lineCount = 0;
  let closed = false;
  let wake: (() => void) | undefined;
  let running: AbortController | undefined;
  rl.on('line', (line) => {
    queue.push({ line, number: ++lineCount });
    wake?.();
  });
  rl.on('close', () => {
    closed = true;
    // Ctrl-D on a terminal means leave now; EOF of a pipe means finish what was read.
    if (terminal) {
      queue.length = 0;
      running?.abort();
    }
    wake?.();
  });
  rl.on('SIGINT', () => {
    if (running !== undefined) {
      io.stdout.write('^C\n');
      running.abort();
      return;
    }
    // Clear the line being typed and show a fresh prompt.
    rl.write(null, { ctrl: true, name: 'e' });
    rl.write(null, { ctrl: true, name: 'u' });
    io.stdout.write('^C\n');
    rl.prompt();
  });

  const loop = async (): Promise<number> => {
    let code = 0;
    if (terminal) rl.prompt();
    for (;;) {
      const next = queue.shift();
      if (next === undefined) {
        if (closed) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      running = new AbortController();
      let result: LineResult;
      try {
        result = await options.run(next.line, running.signal, next.number);
      } finally {
        running = undefined;
      }
      if (result.code !== 0) code = result.code;
      if (result.exit) break;
      if (terminal && !closed) rl.prompt();
    }
    if (terminal && closed) io.stdout.write('\n');
    rl.close();
    return terminal ? 0 : code;
  };

  return {
    finished: loop(),
    print(text: string) {
      if (terminal && running === undefined && !closed) {
        io.stdout.write(`\r\x1b[2K${text}\n`);
        rl.prompt(true);
      } else {
        io.stdout.write(`${text}\n`);
      }
    },
    close() {
      rl.close();
    },
  };
}
