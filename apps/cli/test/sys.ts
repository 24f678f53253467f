import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built binary; tests run what users run. */
export const SYS = fileURLToPath(new URL('../dist/sys.js', import.meta.url));

/** Fails clearly when the binary was not built (the root `pnpm test` builds first). */
export function requireBuild(): void {
  if (!existsSync(SYS))
    throw new Error(`${SYS} is missing: run \`pnpm build\` (or the root \`pnpm test\`) first`);
}

/** Environment of a spawned sys: no colour surprises, history in a given file. */
export function sysEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { INIT_CWD, npm_lifecycle_event, ...env } = process.env;
  return { ...env, SYS_HISTORY_FILE: '/dev/null', ...extra };
}

/** What one run of sys did. */
export interface SysRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `sys` with args and optional piped stdin; `onSpawn` may signal it. */
export function sys(
  args: string[],
  options: {
    input?: string;
    cwd?: string;
    env?: Record<string, string>;
    onStderr?: (text: string, kill: (s: NodeJS.Signals) => void) => void;
  } = {},
): Promise<SysRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SYS, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: sysEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(stderr, (s) => child.kill(s));
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A running `sys serve`: its URL, the process, its stderr so far, and its exit (code and all of stderr). */
export interface ServedSys {
  readonly url: string;
  readonly child: ChildProcess;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; stderr: string }>;
}

/**
 * Starts the built `sys serve --port 0 …args` and resolves once it prints its `{"url":…}` line; rejects
 * with its stderr when it exits first. The child goes on `children`, for the test file to end.
 */
export function serveSys(args: string[], children: ChildProcess[]): Promise<ServedSys> {
  const child = spawn(process.execPath, [SYS, 'serve', '--port', '0', ...args], {
    env: sysEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stderr })),
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /\{"url":"([^"]+)"\}/.exec(out);
      if (m) resolve({ url: m[1] as string, child, stderr: () => stderr, exited });
    });
    child.on('close', () => reject(new Error(`sys serve exited early: ${stderr}`)));
  });
}

/** Lines of stdout that are JSON. */
export function jsonLines(stdout: string): unknown[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as unknown);
}

/** Whether a program is on PATH. */
export function onPath(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
}
