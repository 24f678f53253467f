import { SysError } from '@sys/core';
/** Bad command-line input: an unknown command or flag, a missing or ill-typed value. Exit code 2. */
export class UsageError extends SysError {
  /** The command the input was for (`system json`), when it got that far. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super('USAGE', message);
    this.command = command;
  }
}

/** A command that needs a session ran while there was none. */
export class NoSessionError extends SysError {
  constructor(command: string) {
    super('NO_SESSION', `${command}: no session; start one with \`system start [config]\` first`);
  }
}

/** A command stopped by Ctrl-C (its AbortSignal). Exit code 130, as a shell reports SIGINT. */
export class CancelledError extends SysError {
  constructor(command: string, what = 'cancelled') {
    super('CANCELLED', `${command}: ${what}`);
  }
}

/** Error codes that mean "the input was wrong": they exit with 2, like usage errors. */
const INPUT_CODES = new Set(['USAGE', 'CONFIG', 'OUT_FILE']);

/** Exit code when stdout was closed under us (`sys … | head`): what a shell reports for a process killed by SIGPIPE. */
export const BROKEN_PIPE_EXIT = 141;

/** True for the error a write to a closed pipe gives (EPIPE, or a write after the stream was destroyed by it). */
export function isBrokenPipe(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

/** The process exit code for an error: 2 for bad input, 130 for a cancelled command, 1 for anything else. */
export function exitCodeOf(error: unknown): number {
  if (!(error instanceof SysError)) return 1;
  if (error.code === 'CANCELLED') return 130;
  return INPUT_CODES.has(error.code) ? 2 : 1;
}
