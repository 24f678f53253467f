import { type ChildProcess, spawn } from 'node:child_process';
import { applyPatch } from '@sys/diff-tracker';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, requireBuild, SYS, serveSys, sys, sysEnv } from '../test/sys.js';

beforeAll(requireBuild);

const TOKEN = 'cli-test-token';
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/**
 * Starts the built `sys serve` on a free port with the token; resolves with its URL and a promise of its
 * exit, with how long after the last signal sent to it (`ms`).
 */
async function serve(args: string[]): Promise<{
  url: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; ms: number; stderr: string }>;
}> {
  const { url, child, exited } = await serveSys(['--token', TOKEN, ...args], children);
  let signalledAt = 0;
  const origKill = child.kill.bind(child);
  child.kill = (s?: NodeJS.Signals | number) => {
    signalledAt = Date.now();
    return origKill(s);
  };
  return { url, child, exited: exited.then((e) => ({ ...e, ms: Date.now() - signalledAt })) };
}

/** An SSE reader over fetch that keeps every event. */
function follow(url: string) {
  const events: Array<{ event: string; data: string }> = [];
  const controller = new AbortController();
  const done = (async () => {
    const res = await fetch(`${url}/v1/stream`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      signal: controller.signal,
    });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (event !== undefined && data !== undefined) events.push({ event, data });
      }
    }
  })().catch(() => undefined);
  return { events, done, stop: () => controller.abort() };
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('sys serve', () => {
  it('is driven from another terminal with --server: pause, step, status, json and --watch', async () => {
    const { url, child, exited } = await serve(['--speed', '60']);
    const env = { SYS_TOKEN: TOKEN };
    const paused = await sys(['system', 'pause', '--server', url], { env });
    expect(paused.code).toBe(0);
    expect(paused.stderr).toContain('paused');
    const stepped = await sys(['system', 'step', '5', '--server', url], { env });
    expect(stepped.code).toBe(0);
    const status = await sys(['system', 'status', '--server', url], { env });
    expect(jsonLines(status.stdout)[0]).toMatchObject({ status: 'ok', state: 'paused' });
    // --watch over the server prints NDJSON envelopes that rebuild the state, as the in-process one does.
    const watcher = spawn(process.execPath, [SYS, 'system', 'json', '--watch', '--server', url], {
      env: sysEnv(env),
    });
    children.push(watcher);
    let out = '';
    watcher.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await until(() => out.includes('\n'), 'the first envelope');
    expect((await sys(['system', 'step', '3', '--server', url], { env })).code).toBe(0);
    await until(() => out.trim().split('\n').length >= 2, 'a delta after the step');
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { t: string; state?: unknown; ops?: never[] });
    expect(lines[0]?.t).toBe('snapshot');
    let state = lines[0]?.state as never;
    for (const e of lines.slice(1)) state = applyPatch(state, e.ops ?? []) as never;
    const now = await sys(['system', 'json', '--server', url], { env });
    expect(now.code).toBe(0);
    expect(state).toEqual(JSON.parse(now.stdout));
    watcher.kill('SIGINT');
    // Without the token, the server refuses and the CLI says so with the server's message.
    const refused = await sys(['system', 'pause', '--server', url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/token/);
    const bad = await sys(['system', 'status', '--server', 'not a url']);
    expect(bad.code).toBe(2);
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  }, 60_000);

  it('on SIGTERM with 50 clients connected: each gets a last envelope, and it exits 0 within the deadline', async () => {
    const { url, child, exited } = await serve(['--speed', '600']);
    const clients = Array.from({ length: 50 }, () => follow(url));
    await until(() => clients.every((c) => c.events.length > 0), 'every client’s snapshot');
    // Let the run move a little so clients are mid-stream.
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    const end = await exited;
    expect(end.code).toBe(0);
    expect(end.ms).toBeLessThan(6_000);
    await Promise.all(clients.map((c) => c.done));
    for (const c of clients) {
      const last = c.events[c.events.length - 1];
      expect(last?.event).toBe('shutdown');
      const bye = JSON.parse(last?.data ?? '{}') as { epoch: string; seq: number };
      // The last envelope before it brought the client to the final position the shutdown names.
      const final = c.events.filter((e) => e.event === 'snapshot' || e.event === 'delta').pop();
      const env = JSON.parse(final?.data ?? '{}') as { seq?: number; to?: number; epoch: string };
      expect(`${env.epoch}:${env.to ?? env.seq}`).toBe(`${bye.epoch}:${bye.seq}`);
    }
    expect(end.stderr).toContain('stopping');
  }, 60_000);
});
