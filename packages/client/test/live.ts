// Helpers for tests against a real @sys/server over a SystemManager of the bundled AAPL day.
import type { Json } from '@sys/core';
import { fingerprint } from '@sys/diff-tracker';
import { type SysServer, startServer } from '@sys/server';
import { SystemManager, sampleConfig } from '@sys/system-manager';
import WebSocket from 'ws';
import {
  createStateClient,
  type StateClient,
  type StateClientOptions,
  type TransportKind,
  type WebSocketConstructor,
} from '../src/index.js';

export const TOKEN = 'client-test-token';

/** A server on a free 127.0.0.1 port that puts `fp` in every envelope, over a manager not started yet. */
export async function serveDay(): Promise<{ server: SysServer; manager: SystemManager }> {
  const manager = new SystemManager(sampleConfig());
  const server = await startServer({ manager, port: 0, token: TOKEN, tickMs: 1, fingerprint });
  return { server, manager };
}

/** Starts the day and pauses it before its first minute, so a test moves it minute by minute. */
export async function startPaused(manager: SystemManager): Promise<void> {
  manager.setSpeed(1);
  await manager.start();
  manager.pause();
}

/** The faces a test follows: the plain state, the debug face, and a filtered view. */
export const FACES: readonly { name: string; query: string; options: Partial<StateClientOptions> }[] = [
  { name: 'plain', query: '', options: {} },
  { name: 'debug', query: '?debug=1', options: { debug: true } },
  {
    name: 'filtered',
    query: '?symbols=AAPL&path=%2Fsession_data%2Fsymbols%2FAAPL&path=%2Fsystem_manager',
    options: { symbols: ['AAPL'], paths: ['/session_data/symbols/AAPL', '/system_manager'] },
  },
];

/** GET /v1/state of a face straight from the server: its body and position. */
export async function stateOf(url: string, query: string): Promise<{ state: Json; position: string }> {
  const res = await fetch(`${url}/v1/state${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (!res.ok) throw new Error(`GET /v1/state${query}: ${res.status} ${await res.text()}`);
  const state = (await res.json()) as Json;
  return { state, position: res.headers.get('sys-position') ?? '' };
}

/** A client of `url` with the test's token, a quick backoff and `ws` as its WebSocket. */
export function client(
  url: string,
  transport: TransportKind,
  options: Partial<StateClientOptions> = {},
): StateClient {
  return createStateClient({
    url,
    transport,
    token: TOKEN,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    backoff: { initialMs: 20, maxMs: 300 },
    pollWaitMs: 2_000,
    ...options,
  });
}

/** Polls `check` every 5 ms until it holds, or fails naming `what`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
