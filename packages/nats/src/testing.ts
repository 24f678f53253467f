/**
 * `@sys/nats/testing`: a real nats-server for tests and benchmarks. Needs the `nats-server` binary on the
 * PATH (Debian: `apt-get install nats-server`); nothing is downloaded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real nats-server with JetStream on 127.0.0.1, a free port and a temp store dir this test owns. */
export class NatsServer {
  readonly dir: string;
  #child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly args: readonly string[],
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'sys-nats-'));
  }

  /** `nats://127.0.0.1:port`. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts one; `args` are extra nats-server flags (e.g. `--auth TOKEN`). */
  static async start(args: readonly string[] = []): Promise<NatsServer> {
    const s = new NatsServer(await freePort(), args);
    await s.restart();
    return s;
  }

  /** Starts the server (again: same port, same store). */
  async restart(): Promise<void> {
    if (this.#child !== undefined) return;
    const child = spawn(
      'nats-server',
      ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.dir, ...this.args],
      { stdio: 'ignore' },
    );
    this.#child = child;
    let failure: Error | undefined;
    child.once('error', (error: NodeJS.ErrnoException) => {
      failure =
        error.code === 'ENOENT'
          ? new Error('nats-server is not on the PATH: install it (Debian: apt-get install nats-server)')
          : error;
    });
    const end = Date.now() + 10_000;
    while (!(await listening(this.port))) {
      if (failure !== undefined) {
        this.#child = undefined;
        throw failure;
      }
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
      if (Date.now() > end) throw new Error('nats-server did not listen within 10 s');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Stops it (SIGTERM: JetStream's file store is flushed) and waits for the process to end. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#child = undefined;
    if (child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  /** Stops it and removes its store. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
