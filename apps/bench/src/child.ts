import { type ChildProcess, fork } from 'node:child_process';
import { gc } from './harness.js';

/**
 * A bench script in a process of its own (so its CPU and memory are its own), driven over IPC: the child
 * answers `{ id, op, arg }` messages with `{ id, reply }`, and sends `{ id: 0, reply }` once it is ready.
 * `BENCH_PROFILE=dir` writes a V8 CPU profile of each child there.
 */
export class BenchChild<Ready = unknown> {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, { resolve: (reply: unknown) => void; reject: (e: Error) => void }>();
  #next = 1;
  #exited: Error | undefined;
  /** The child's first message: what it set up (a URL, …). */
  readonly ready: Promise<Ready>;

  constructor(script: string, env: Record<string, string>) {
    const profile = process.env.BENCH_PROFILE ?? '';
    this.#child = fork(script, [], {
      execArgv: [
        '--expose-gc',
        '--conditions=@sys/source',
        '--import',
        'tsx',
        ...(profile === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`]),
      ],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.ready = new Promise((resolve, reject) => {
      this.#waiting.set(0, { resolve: (r) => resolve(r as Ready), reject });
    });
    this.#child.once('exit', (code) => {
      this.#exited = new Error(`the bench child ${script} exited with ${code}`);
      for (const w of this.#waiting.values()) w.reject(this.#exited);
      this.#waiting.clear();
    });
    this.#child.on('message', (raw) => {
      const m = raw as { id: number; reply: unknown };
      this.#waiting.get(m.id)?.resolve(m.reply);
      this.#waiting.delete(m.id);
    });
  }

  /** Asks the child to do `op` and resolves with its reply. */
  call<T>(op: string, arg?: unknown): Promise<T> {
    if (this.#exited !== undefined) return Promise.reject(this.#exited);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve: (r) => resolve(r as T), reject });
      this.#child.send({ id, op, arg });
    });
  }

  /** Asks it to exit; kills it if it has not within `timeoutMs`. */
  async exit(timeoutMs = 10_000): Promise<void> {
    if (this.#exited !== undefined) return;
    const gone = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.call('exit').catch(() => undefined);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    await gone;
    clearTimeout(timer);
  }
}

/** What a child reports of itself: CPU µs so far and memory after a GC. */
export interface Usage {
  cpuMicros: number;
  rssBytes: number;
  heapBytes: number;
  /** The position (seq) of the state it serves. */
  seq: number;
}

/** The child side: `usage()` for a `Usage` reply (the serving position from `seq`). */
export function usage(seq: number): Usage {
  gc();
  const m = process.memoryUsage();
  const c = process.cpuUsage();
  return { cpuMicros: c.user + c.system, rssBytes: m.rss, heapBytes: m.heapUsed + m.external, seq };
}

/**
 * The child side of the IPC: answers each op with its handler's result (`exit` stops the process after
 * `onExit`), and sends `ready` first.
 */
export function serveIpc(
  ready: unknown,
  handlers: Record<string, (arg: unknown) => unknown>,
  onExit: () => Promise<void>,
): void {
  process.on('message', async (raw) => {
    const msg = raw as { id: number; op: string; arg?: unknown };
    if (msg.op === 'exit') {
      await onExit();
      process.send?.({ id: msg.id, reply: null }, undefined, {}, () => process.exit(0));
      return;
    }
    const handler = handlers[msg.op];
    if (handler === undefined) throw new Error(`bench child: unknown op ${msg.op}`);
    process.send?.({ id: msg.id, reply: await handler(msg.arg) });
  });
  process.send?.({ id: 0, reply: ready });
}
