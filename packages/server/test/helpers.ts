import { type SessionConfigInput, SystemManager, sampleConfig } from '@sys/system-manager';
import jsonpatch from 'fast-json-patch';
import { afterEach } from 'vitest';
import { type ServerOptions, type SysServer, startServer } from '../src/index.js';

export { JsonPatchCopy, type WireEnvelope } from '../src/testing.js';

/**
 * The list of what a test file undoes after each test (servers, clients), run last first by an `afterEach`
 * this registers.
 */
export function cleanupAfterEach(): Array<() => Promise<void> | void> {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  return cleanup;
}

export const TOKEN = 'test-token';
export const AUTH = { authorization: `Bearer ${TOKEN}` };

/** A server on a free 127.0.0.1 port over a manager of the bundled AAPL day (not started yet). */
export async function serveSample(
  options: Partial<ServerOptions> = {},
  config: Partial<SessionConfigInput> = {},
): Promise<{ server: SysServer; manager: SystemManager }> {
  const manager = new SystemManager(sampleConfig(config));
  const server = await startServer({ manager, port: 0, token: TOKEN, tickMs: 1, ...options });
  return { server, manager };
}

/** GET a JSON answer with the token. */
export async function getJson(
  server: SysServer,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(server.url + path, { headers: { ...AUTH, ...headers } });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
  };
}

/** Polls `check` every 10 ms until it is true, or fails after `timeoutMs` with `what`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The current position of a view, from the ETag of GET /v1/state. */
export async function positionOf(server: SysServer, query = ''): Promise<string> {
  const res = await fetch(`${server.url}/v1/state${query}`, { headers: AUTH });
  await res.arrayBuffer();
  return (res.headers.get('etag') ?? '').replaceAll('"', '');
}

/**
 * Waits until a follower's copy is at the server's current position for `query` and equals the state the
 * server answers there (the debug face moves each second on its own: uptime). Fails with the last
 * difference seen.
 */
export async function expectExact(
  copy: () => { position: string; state: unknown },
  server: SysServer,
  query = '',
): Promise<void> {
  let last = '';
  await until(async () => {
    const res = await fetch(`${server.url}/v1/state${query}`, { headers: AUTH });
    const body = (await res.json()) as unknown;
    const at = (res.headers.get('etag') ?? '').replaceAll('"', '');
    const c = copy();
    if (c.position !== at) {
      last = `copy at ${c.position}, server at ${at}`;
      return false;
    }
    const ops = jsonpatch.compare(c.state as object, body as object);
    last = `at ${at} the copy differs: ${JSON.stringify(ops).slice(0, 500)}`;
    return ops.length === 0;
  }, 'an exact copy').catch(() => {
    throw new Error(`the copy never became exact: ${last}`);
  });
}
