import { type ChildProcess, spawn } from 'node:child_process';
import { NatsServer } from '@sys/nats/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { requireBuild, SYS, sys, sysEnv } from '../test/sys.js';

// `sys serve --publish` and `sys serve --follow` as a user runs them, on a real nats-server (.ci/run installs it).
const children: ChildProcess[] = [];
let nats: NatsServer | undefined;
let natsUrl = '';

beforeAll(async () => {
  requireBuild();
  nats = await NatsServer.start();
  natsUrl = nats.url;
});

afterAll(async () => {
  for (const c of children.splice(0).reverse()) {
    if (c.exitCode !== null) continue;
    await new Promise((resolve) => {
      c.once('close', resolve);
      c.kill('SIGTERM');
    });
  }
  await nats?.dispose();
});

/** A `sys serve …` child; resolves with the URL it prints. */
function serve(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [SYS, 'serve', '--port', '0', ...args], {
    env: sysEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /\{"url":"([^"]+)"\}/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.on('close', () => reject(new Error(`sys serve exited early: ${stderr}`)));
  });
}

async function state(url: string): Promise<{ position: string; body: unknown }> {
  const res = await fetch(`${url}/v1/state`);
  return { position: (res.headers.get('etag') ?? '').replaceAll('"', ''), body: await res.json() };
}

it('sys serve --publish, sys serve --follow and sys nats status', async () => {
  const publisher = await serve(['--publish', natsUrl, '--name', 'cli']);
  const replica = await serve(['--follow', natsUrl, '--name', 'cli']);
  // The bundled day at max speed ends; the replica then answers the publisher's position and state.
  let last = '';
  const end = Date.now() + 30_000;
  for (;;) {
    const [p, r] = [await state(publisher), await state(replica)];
    const ended = (p.body as { system_manager?: { state?: string } }).system_manager?.state === 'stopped';
    if (ended && p.position === r.position) {
      expect(r.body).toEqual(p.body);
      break;
    }
    last = `publisher ${p.position}, replica ${r.position}`;
    if (Date.now() > end) throw new Error(`the replica never caught up: ${last}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  // A replica is read-only.
  const control = await fetch(`${replica}/v1/control/pause`, {
    method: 'POST',
    body: '{}',
    headers: { 'content-type': 'application/json' },
  });
  expect(control.status).toBe(403);
  let status: Array<{ run: string; followers: unknown[]; stream: { lastSeq: number } }> = [];
  const statusEnd = Date.now() + 10_000;
  while (status[0]?.followers.length !== 1 && Date.now() < statusEnd) {
    const run = await sys(['nats', 'status', natsUrl, '--compact']);
    expect(run.code, run.stderr).toBe(0);
    status = JSON.parse(run.stdout) as typeof status;
    await new Promise((res) => setTimeout(res, 200));
  }
  expect(status.map((s) => s.run)).toEqual(['cli']);
  expect(status[0]?.stream.lastSeq).toBeGreaterThan(0);
  expect(status[0]?.followers).toHaveLength(1);

  const wrong = await sys(['serve', '--follow', natsUrl, '--name', 'nope', '--port', '0']);
  expect(wrong.code).not.toBe(0);
  expect(wrong.stderr).toMatch(/no run "nope".*runs there: cli/);
}, 90_000);
