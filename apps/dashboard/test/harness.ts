import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { samplePath } from '@sys/market-data/samples';
import { type Browser, chromium, type Page } from 'playwright-core';

/** The built `sys` binary: the tests run `sys serve` as a user does (the root `pnpm test` builds first). */
export const SYS = fileURLToPath(new URL('../../cli/dist/sys.js', import.meta.url));
/** The built page, which `sys` finds through its @sys/dashboard dependency. */
export const DIST = fileURLToPath(new URL('../dist/index.html', import.meta.url));
/** Debian's chromium (`apt-get install chromium`; .ci/run installs it). Never a downloaded browser. */
export const CHROMIUM = process.env.SYS_CHROMIUM ?? '/usr/bin/chromium';

/** Fails clearly when something the browser tests need is missing. */
export function requireParts(): void {
  for (const [path, what] of [
    [SYS, 'run `pnpm build` first'],
    [DIST, 'run `pnpm build` first'],
    [CHROMIUM, 'install Debian’s chromium: apt-get install -y chromium'],
  ] as const) {
    if (!existsSync(path)) throw new Error(`${path} is missing: ${what}`);
  }
}

/** Chromium headless as root in a container: no sandbox, no /dev/shm, no GPU. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** A free TCP port on 127.0.0.1 (so a restarted server can take the same one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(),
      );
    });
  });
}

/** One `sys serve` process. */
export interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  stderr(): string;
}

/** Starts `sys serve …args` and resolves with its URL once it listens. */
export function serve(args: readonly string[], cwd: string): Promise<Served> {
  return new Promise((resolve, reject) => {
    const { INIT_CWD, npm_lifecycle_event, ...env } = process.env;
    const child = spawn(process.execPath, [SYS, 'serve', ...args], {
      cwd,
      env: { ...env, SYS_HISTORY_FILE: '/dev/null' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`sys serve did not start in 30 s: ${stderr}`)), 30_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{"url"'));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve({ child, url: (JSON.parse(line) as { url: string }).url, stderr: () => stderr });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sys serve exited (${code}) before listening: ${stderr}`));
    });
  });
}

/** Stops a served process and waits for it to be gone. */
export async function stop(served: Served, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (served.child.exitCode !== null || served.child.signalCode !== null) return;
  const gone = new Promise((resolve) => served.child.once('exit', resolve));
  served.child.kill(signal);
  await gone;
}

/** GET a JSON route of the server with the token; returns the body and the `Sys-Position` header. */
export async function getJson(
  url: string,
  token: string,
): Promise<{ body: unknown; position: string | null }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return { body: await res.json(), position: res.headers.get('sys-position') };
}

/** Polls `check` every 100 ms until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The page's overview client position (cheap: no state is copied). */
export function pagePosition(page: Page): Promise<string | undefined> {
  return page.evaluate(
    () =>
      (window as unknown as { sysDashboard: { client: { position?: string } } }).sysDashboard.client.position,
  );
}

/** Waits until the page's overview client is at the position of the server's plain face. */
export async function caughtUp(page: Page, base: string, token: string): Promise<string> {
  return until(
    'the page at the server’s position',
    async () => {
      const { position } = await getJson(`${base}/v1/state`, token);
      return position !== null && position === (await pagePosition(page)) ? position : undefined;
    },
    30_000,
  );
}

/**
 * The page's copy and GET /v1/state?debug=1 at the same position: the server's state first, then the page
 * waits (inside one evaluate) until its copy reaches that position and serializes it in the same tick, so
 * the copy cannot move in between. Retries when the page went past it.
 */
export async function exactCopy(
  page: Page,
  base: string,
  token: string,
  which: 'client' | 'detail',
  query: string,
): Promise<[unknown, unknown, string]> {
  return until(
    `the page’s ${which} copy at the server’s position`,
    async () => {
      const server = await getJson(`${base}/v1/state${query}`, token);
      if (server.position === null) return undefined;
      const json = await page.evaluate(
        async ([target, name]) => {
          type Copy = { position?: string; getState(): unknown };
          const c = (window as unknown as { sysDashboard: Record<string, Copy | undefined> }).sysDashboard[
            name
          ];
          if (c === undefined) return undefined;
          const seq = (p: string | undefined) => (p === undefined ? -1 : Number(p.split(':')[1]));
          const end = Date.now() + 5000;
          while (c.position !== target && seq(c.position) <= seq(target) && Date.now() < end)
            await new Promise((r) => setTimeout(r, 5));
          return c.position === target ? JSON.stringify(c.getState()) : undefined;
        },
        [server.position, which] as const,
      );
      if (json === undefined) return undefined;
      return [JSON.parse(json) as unknown, server.body, server.position] as [unknown, unknown, string];
    },
    60_000,
  );
}

/** The bundled AAPL sample's independent reference figures (packages/market-data samples/expected). */
export function aaplExpected(): {
  regular_session: { bars_1m: number; volume: number; high: number; low: number; vwap_typical_price: number };
  derived_bars_regular_session: { '5m': { data: unknown[] } };
} {
  return JSON.parse(readFileSync(samplePath('expected/AAPL_2025-07-02.json'), 'utf8'));
}
