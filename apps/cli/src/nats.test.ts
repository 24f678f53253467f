import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { samplePath } from '@sys/market-data/samples';
import { NatsServer } from '@sys/nats/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { requireBuild, type ServedSys, serveSys, sys } from '../test/sys.js';

// `sys serve --publish` and `sys serve --follow` as a user runs them, on a real nats-server (.ci/run installs it).
const children: ChildProcess[] = [];
let nats: NatsServer | undefined;
let natsUrl = '';
const dir = mkdtempSync(join(tmpdir(), 'sys-cli-nats-'));

beforeAll(async () => {
  requireBuild();
  nats = await NatsServer.start();
  natsUrl = nats.url;
});

afterAll(async () => {
  for (const c of children.splice(0).reverse()) {
    // Ended already (a test may SIGKILL one: then exitCode stays null and signalCode is set).
    if (c.exitCode !== null || c.signalCode !== null) continue;
    await new Promise((resolve) => {
      c.once('close', resolve);
      c.kill('SIGTERM');
    });
  }
  await nats?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** A `sys serve …` child; resolves with the URL it prints. */
async function serve(args: string[]): Promise<string> {
  return (await served(args)).url;
}

/** A `sys serve …` child serving: its URL, the process, and what it wrote to stderr so far. */
function served(args: string[]): Promise<ServedSys> {
  return serveSys(args, children);
}

/** Stops a `sys serve` child with SIGTERM and resolves with its exit code. */
function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('close', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

/** Waits until the replica at `replica` answers the ended publisher's position and state. */
async function caughtUp(publisher: string, replica: string): Promise<void> {
  let last = '';
  const end = Date.now() + 30_000;
  for (;;) {
    const [p, r] = [await state(publisher), await state(replica)];
    const ended = (p.body as { system_manager?: { state?: string } }).system_manager?.state === 'stopped';
    if (ended && p.position === r.position) {
      expect(r.body).toEqual(p.body);
      return;
    }
    last = `publisher ${p.position}, replica ${r.position}`;
    if (Date.now() > end) throw new Error(`the replica never caught up: ${last}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** The bundled AAPL day as a session config file's content. */
const session = {
  symbols: ['AAPL'],
  source: { type: 'csv', paths: [samplePath('AAPL_2025-07-02.csv')] },
  backtest: { start_date: '2025-07-02', end_date: '2025-07-02' },
  speed: 'max',
  sessions: 'extended',
};

function configFile(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

async function state(url: string): Promise<{ position: string; body: unknown }> {
  const res = await fetch(`${url}/v1/state`);
  return { position: (res.headers.get('etag') ?? '').replaceAll('"', ''), body: await res.json() };
}

it('sys serve --publish, sys serve --follow and sys nats status', async () => {
  const publisher = await serve(['--publish', natsUrl, '--name', 'cli']);
  const replica = await serve(['--follow', natsUrl, '--name', 'cli']);
  // The bundled day at max speed ends; the replica then answers the publisher's position and state.
  await caughtUp(publisher, replica);
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

it('publish and follow in the config file: sys serve pub.json publishes, sys serve replica.json follows and resumes from its checkpoint', async () => {
  // The flag --name overrides the config's publish.name.
  const pub = configFile('pub.json', {
    ...session,
    publish: { url: natsUrl, name: 'not-this-one', snapshot_every: 25 },
  });
  const publisher = await served([pub, '--name', 'cfg']);
  expect(publisher.stderr()).toMatch(/publishing every position to NATS .* as run cfg/);
  const replicaConfig = configFile('replica.json', {
    follow: { url: natsUrl, name: 'cfg', checkpoint: 'replica.ckpt' },
  });
  const first = await served([replicaConfig]);
  await caughtUp(publisher.url, first.url);
  expect(first.stderr()).toMatch(/loaded the snapshot at .*no checkpoint file yet \(missing/);
  expect(await stop(first.child)).toBe(0);
  // The checkpoint is relative to the config file, and holds the replica's last position.
  const checkpoint = join(dir, 'replica.ckpt');
  expect(existsSync(checkpoint)).toBe(true);
  const onDisk = JSON.parse(readFileSync(checkpoint, 'utf8')) as { epoch: string; seq: number };
  expect(`${onDisk.epoch}:${onDisk.seq}`).toBe((await state(publisher.url)).position);

  const again = await served([replicaConfig]);
  expect(again.stderr()).toContain(
    `resumed from checkpoint ${checkpoint} at ${onDisk.epoch}:${onDisk.seq} (stream message `,
  );
  expect(again.stderr()).toContain('no snapshot loaded');
  expect(again.stderr()).not.toMatch(/loaded the snapshot/);
  await caughtUp(publisher.url, again.url);

  const status = await sys(['nats', 'status', natsUrl, '--compact']);
  expect(status.code, status.stderr).toBe(0);
  const runs = (JSON.parse(status.stdout) as Array<{ run: string }>).map((r) => r.run);
  expect(runs).toContain('cfg');
  expect(runs).not.toContain('not-this-one');
}, 90_000);

it('bad publish / follow values in the config exit 2 naming the field', async () => {
  const bad = configFile('bad.json', {
    ...session,
    publish: { url: 'http://127.0.0.1:4222', max_bytes: 5, name: 'a.b' },
  });
  const r = await sys(['serve', bad, '--port', '0']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('publish.url');
  expect(r.stderr).toContain('publish.max_bytes');
  expect(r.stderr).toContain('publish.name');

  const both = configFile('both.json', { follow: { url: natsUrl }, publish: { url: natsUrl } });
  const r2 = await sys(['serve', both, '--port', '0']);
  expect(r2.code).toBe(2);
  expect(r2.stderr).toMatch(/publish: publish and follow exclude each other/);

  const replica = configFile('replica-bad.json', { follow: { url: natsUrl, checkpoint: 7 } });
  const r3 = await sys(['serve', replica, '--port', '0']);
  expect(r3.code).toBe(2);
  expect(r3.stderr).toContain('follow.checkpoint');

  // A flag that contradicts the file, and --checkpoint without a replica.
  const pub = configFile('pub-only.json', { ...session, publish: { url: natsUrl } });
  const r4 = await sys(['serve', pub, '--follow', natsUrl, '--port', '0']);
  expect(r4.code).toBe(2);
  expect(r4.stderr).toMatch(/--follow and the publish section/);
  const r5 = await sys(['serve', '--checkpoint', join(dir, 'x.ckpt'), '--port', '0']);
  expect(r5.code).toBe(2);
  expect(r5.stderr).toMatch(/--checkpoint is for a replica/);
}, 60_000);

it('sys serve --follow --checkpoint SIGKILLed while the publisher runs: restarted, it resumes from the file and ends exact', async () => {
  // About ten seconds of replay (the extended day at 6000×), so the kill lands mid-run.
  const publisher = await serve(['--publish', natsUrl, '--name', 'killed', '--speed', '6000']);
  const checkpoint = join(dir, 'killed.ckpt');
  const args = ['--follow', natsUrl, '--name', 'killed', '--checkpoint', checkpoint];
  const first = await served(args);
  const end = Date.now() + 20_000;
  while (!existsSync(checkpoint)) {
    if (Date.now() > end) throw new Error(`no checkpoint written: ${first.stderr()}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  await new Promise((res) => setTimeout(res, 1500));
  await new Promise((resolve) => {
    first.child.once('close', resolve);
    first.child.kill('SIGKILL');
  });
  const onDisk = JSON.parse(readFileSync(checkpoint, 'utf8')) as { epoch: string; seq: number };
  const running = (await state(publisher)).body as { system_manager?: { state?: string } };
  expect(running.system_manager?.state).toBe('running');

  const again = await served(args);
  expect(again.stderr()).toContain(
    `resumed from checkpoint ${checkpoint} at ${onDisk.epoch}:${onDisk.seq} (stream message `,
  );
  await caughtUp(publisher, again.url);
}, 90_000);
