import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { onPath, SYS, sysEnv } from './sys.js';

/**
 * How a pseudo-terminal is made here: util-linux `script`, else tmux, else none (the test skips).
 * SYS_TEST_PTY=tmux|script picks one.
 */
export const ptyTool: 'script' | 'tmux' | undefined = pickPty(process.env.SYS_TEST_PTY);

function pickPty(wanted: string | undefined): 'script' | 'tmux' | undefined {
  if (wanted === 'script' || wanted === 'tmux') return wanted;
  return onPath('script') ? 'script' : onPath('tmux') ? 'tmux' : undefined;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are what is stripped
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r/g;

/** An interactive `sys` in a pseudo-terminal: type keys, read the screen text back. */
export interface Terminal {
  type(keys: string): Promise<void>;
  /** Waits until the screen (escape sequences removed) matches. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  screen(): Promise<string>;
  /** Resolves with the exit code once the shell ended. */
  exited(): Promise<number | null>;
  dispose(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function poll(
  read: () => Promise<string>,
  pattern: RegExp | string,
  timeoutMs: number,
): Promise<string> {
  const start = Date.now();
  for (;;) {
    const text = (await read()).replace(ANSI, '');
    if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) return text;
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out waiting for ${String(pattern)}; screen:\n${text}`);
    await sleep(25);
  }
}

/** Starts `sys` (no args: the shell) in a pseudo-terminal of 120×40. */
export function openTerminal(env: Record<string, string>): Terminal {
  if (ptyTool === 'script') return scriptTerminal(env);
  if (ptyTool === 'tmux') return tmuxTerminal(env);
  throw new Error('no pseudo-terminal tool (script or tmux) on PATH');
}

function scriptTerminal(env: Record<string, string>): Terminal {
  const command = `stty cols 120 rows 40; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(SYS)}`;
  const child: ChildProcessWithoutNullStreams = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
    env: sysEnv(env),
  });
  let text = '';
  child.stdout.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    async type(keys) {
      child.stdin.write(keys);
      await sleep(50);
    },
    waitFor: (pattern, timeoutMs = 10_000) => poll(async () => text, pattern, timeoutMs),
    screen: async () => text.replace(ANSI, ''),
    exited: () => exit,
    dispose: () => child.kill('SIGKILL'),
  };
}

function tmuxTerminal(env: Record<string, string>): Terminal {
  const name = `sys-test-${process.pid}-${Date.now()}`;
  const tmux = (...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn('tmux', args, { env: sysEnv(env) });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.on('error', reject);
      child.on('close', () => resolve(out));
    });
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const started = tmux(
    'new-session',
    '-d',
    '-s',
    name,
    '-x',
    '120',
    '-y',
    '40',
    `env ${envArgs.map((a) => JSON.stringify(a)).join(' ')} ${JSON.stringify(process.execPath)} ${JSON.stringify(SYS)}; echo "[exit $?]"; sleep 30`,
  );
  const screen = async () => {
    await started;
    return tmux('capture-pane', '-p', '-t', name, '-S', '-200');
  };
  return {
    async type(keys) {
      await started;
      await tmux('send-keys', '-t', name, '-l', keys);
      await sleep(50);
    },
    waitFor: (pattern, timeoutMs = 10_000) => poll(screen, pattern, timeoutMs),
    screen,
    async exited() {
      const text = await poll(screen, /\[exit \d+\]/, 10_000);
      return Number(/\[exit (\d+)\]/.exec(text)?.[1]);
    },
    dispose: () => {
      void tmux('kill-session', '-t', name);
    },
  };
}
