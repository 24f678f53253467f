import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { SysServer } from '@sys/server';
import { describe, expect, it } from 'vitest';
import {
  checkpointingReplica,
  cleanupAfterEach,
  minutes,
  natsServer,
  publisherOf,
  startPaused,
  stateOf,
  until,
} from '../test/helpers.js';
import {
  connectNats,
  type FollowerStats,
  type PublisherOptions,
  runNames,
  SNAPSHOT_OBJECT,
  startReplica,
} from './index.js';
import type { NatsServer } from './testing.js';

// A follower with a checkpoint file resumes from its own position after a restart (a kill included), and
// falls back to the store's snapshot — saying why — when the file cannot be used.

const cleanup = cleanupAfterEach();

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sys-nats-checkpoint-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A publisher whose run is paused at the open and published so far; the test moves it with `minutes`. */
async function pausedPublisher(nats: NatsServer, run: string, options: Partial<PublisherOptions> = {}) {
  const p = await publisherOf(cleanup, nats, run, options);
  await startPaused(p.manager);
  await p.publisher.flush();
  return p;
}

async function replicaOf(nats: NatsServer, run: string, checkpointFile: string) {
  const r = await startReplica(checkpointingReplica(nats.url, run, checkpointFile));
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= r.close();
    return closed;
  };
  cleanup.push(close);
  return { ...r, follower: r.follower, server: r.server, close };
}

/** Waits until the replica's GET /v1/state has the publisher's ETag (position) and the same body. */
async function expectExact(publisher: SysServer, replicaUrl: string): Promise<void> {
  let last = '';
  await until(
    async () => {
      const p = await stateOf(publisher);
      const res = await fetch(`${replicaUrl}/v1/state`);
      const r = { position: (res.headers.get('etag') ?? '').replaceAll('"', ''), state: await res.json() };
      last = `publisher ${p.position}, replica ${r.position}`;
      if (r.position !== p.position) return false;
      expect(r.state).toEqual(p.state);
      return true;
    },
    () => last,
  );
}

interface OnDisk {
  run: string;
  epoch: string;
  seq: number;
  streamSeq: number;
  fp: string;
  state: { system_manager: Record<string, unknown> } & Record<string, unknown>;
}

function readOnDisk(file: string): OnDisk {
  return JSON.parse(readFileSync(file, 'utf8')) as OnDisk;
}

/** A replica in its own process (test/replica-process.ts), so the test can SIGKILL it. */
class ReplicaProcess {
  readonly child: ChildProcess;
  /** Its first report (as it started serving) and its latest. */
  first: { url: string; stats: FollowerStats } | undefined;
  last: { url: string; stats: FollowerStats } | undefined;
  stderr = '';

  constructor(url: string, run: string, file: string) {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const script = fileURLToPath(new URL('../test/replica-process.ts', import.meta.url));
    this.child = spawn(
      process.execPath,
      ['--conditions=@sys/source', '--import', 'tsx', script, url, run, file],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    this.child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        const report = JSON.parse(line) as { url: string; stats: FollowerStats };
        this.first ??= report;
        this.last = report;
      }
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    cleanup.push(() => this.kill('SIGTERM'));
  }

  async started(): Promise<{ url: string; stats: FollowerStats }> {
    await until(
      () => {
        if (this.child.exitCode !== null) throw new Error(`replica exited: ${this.stderr}`);
        return this.first !== undefined;
      },
      () => `replica process not serving: ${this.stderr}`,
      30_000,
    );
    return this.first as { url: string; stats: FollowerStats };
  }

  kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}

describe('follower checkpoint', () => {
  it('a replica process SIGKILLed mid-run resumes from its checkpoint: no snapshot, ends exact', async () => {
    const nats = await natsServer(cleanup);
    // Snapshots only at the start: after the kill the store's snapshot is deleted, so only the checkpoint
    // can bring the replica back.
    const { manager, server, publisher } = await pausedPublisher(nats, 'kill', {
      snapshotEverySeq: 1_000_000,
      snapshotEveryMs: 3_600_000,
    });
    await minutes(manager, 10);
    await publisher.flush();
    const file = join(tempDir(), 'replica.checkpoint.json');
    const first = new ReplicaProcess(nats.url, 'kill', file);
    const started = await first.started();
    expect(started.stats).toMatchObject({
      resumedFrom: 'snapshot',
      checkpointRejected: 'missing',
      snapshotsLoaded: 1,
    });
    const startSeq = Number(started.stats.position.split(':')[1]);

    // The publisher keeps publishing; the replica is killed while it follows.
    const running = minutes(manager, 150);
    await until(
      () => {
        try {
          return readOnDisk(file).seq >= startSeq + 30;
        } catch {
          return false;
        }
      },
      () => `checkpoint not past ${startSeq + 30}; replica: ${JSON.stringify(first.last?.stats)}`,
    );
    await first.kill('SIGKILL');
    expect(first.child.signalCode).toBe('SIGKILL');
    const onDisk = readOnDisk(file);
    await running;
    await publisher.flush();
    expect(Number((await stateOf(server)).position.split(':')[1])).toBeGreaterThan(onDisk.seq);

    const nc = await connectNats({ url: nats.url });
    cleanup.push(() => nc.close());
    const store = await new Objm(nc).open(runNames('kill').snapshots);
    await store.delete(SNAPSHOT_OBJECT);
    expect(await store.getBlob(SNAPSHOT_OBJECT)).toBeNull();

    const second = new ReplicaProcess(nats.url, 'kill', file);
    const again = await second.started();
    expect(again.stats).toMatchObject({
      resumedFrom: 'checkpoint',
      checkpointRejected: null,
      snapshotsLoaded: 0,
    });
    // It started at the position the killed process left on disk, then caught up from the stream.
    expect(again.stats.position).toBe(`${onDisk.epoch}:${onDisk.seq}`);
    await minutes(manager, 20);
    await expectExact(server, again.url);
    await until(
      async () => second.last?.stats.position === (await stateOf(server)).position,
      () => JSON.stringify(second.last?.stats),
    );
    // Every message after the checkpoint, each applied once; nothing loaded or rebuilt.
    const info = await (await jetstreamManager(nc)).streams.info(runNames('kill').stream);
    expect(second.last?.stats).toMatchObject({
      snapshotsLoaded: 0,
      resyncs: 0,
      corrupt: 0,
      skipped: 0,
      applied: info.state.last_seq - onDisk.streamSeq,
      streamSeq: info.state.last_seq,
    });
    // A clean stop writes the last position.
    await second.kill('SIGTERM');
    expect(second.child.exitCode).toBe(0);
    expect(`${readOnDisk(file).epoch}:${readOnDisk(file).seq}`).toBe((await stateOf(server)).position);
  }, 120_000);

  it('a checkpoint older than what the stream retains: the snapshot is loaded (not_retained), exact', async () => {
    const nats = await natsServer(cleanup);
    const { manager, server, publisher } = await pausedPublisher(nats, 'old', { snapshotEverySeq: 5 });
    await minutes(manager, 10);
    const file = join(tempDir(), 'old.json');
    const a = await replicaOf(nats, 'old', file);
    await expectExact(server, a.server.url);
    await a.close();
    const cp = readOnDisk(file);
    expect(`${cp.epoch}:${cp.seq}`).toBe((await stateOf(server)).position);

    await minutes(manager, 60);
    await publisher.flush();
    const nc = await connectNats({ url: nats.url });
    cleanup.push(() => nc.close());
    const jsm = await jetstreamManager(nc);
    const stream = runNames('old').stream;
    await jsm.streams.purge(stream, { keep: 20 });
    // The message after the checkpoint is gone from the stream.
    expect((await jsm.streams.info(stream)).state.first_seq).toBeGreaterThan(cp.streamSeq + 1);

    const b = await replicaOf(nats, 'old', file);
    expect(b.follower.stats()).toMatchObject({
      resumedFrom: 'snapshot',
      checkpointRejected: 'not_retained',
      snapshotsLoaded: 1,
    });
    expect(b.follower.stats().checkpointDetail).toContain(String(cp.streamSeq + 1));
    await minutes(manager, 10);
    await expectExact(server, b.server.url);
  }, 90_000);

  it('a truncated, garbage, tampered or other run’s checkpoint never crashes the follower: snapshot, exact', async () => {
    const nats = await natsServer(cleanup);
    const pa = await pausedPublisher(nats, 'runa', { snapshotEverySeq: 5 });
    const pb = await pausedPublisher(nats, 'runb', { snapshotEverySeq: 5 });
    await minutes(pa.manager, 15);
    await minutes(pb.manager, 15);
    const dir = tempDir();
    const fileA = join(dir, 'a.json');
    const a = await replicaOf(nats, 'runa', fileA);
    await expectExact(pa.server, a.server.url);
    await a.close();
    const good = readFileSync(fileA, 'utf8');
    const parsed = JSON.parse(good) as OnDisk;

    const cases: Array<[string, string, string]> = [
      ['truncated', good.slice(0, Math.floor(good.length / 2)), 'corrupt'],
      ['garbage', '\u0000\u00ff not json at all', 'corrupt'],
      ['not a checkpoint', JSON.stringify({ hello: 'world' }), 'corrupt'],
      // The state changed (one figure) but the fingerprint is the one written for the true state.
      [
        'tampered',
        JSON.stringify({
          ...parsed,
          state: { ...parsed.state, system_manager: { ...parsed.state.system_manager, state: 'x' } },
        }),
        'fingerprint',
      ],
    ];
    for (const [name, text, reason] of cases) {
      const file = join(dir, `${name}.json`);
      writeFileSync(file, text);
      const r = await replicaOf(nats, 'runa', file);
      expect(r.follower.stats(), name).toMatchObject({
        resumedFrom: 'snapshot',
        checkpointRejected: reason,
        snapshotsLoaded: 1,
      });
      await minutes(pa.manager, 3);
      await expectExact(pa.server, r.server.url);
      await r.close();
      // The bad file was replaced by a good checkpoint of this replica.
      expect(readOnDisk(file).seq).toBe(Number((await stateOf(pa.server)).position.split(':')[1]));
    }

    // Run a's checkpoint given to a follower of run b.
    const fileB = join(dir, 'b.json');
    writeFileSync(fileB, good);
    const b = await replicaOf(nats, 'runb', fileB);
    expect(b.follower.stats()).toMatchObject({ resumedFrom: 'snapshot', checkpointRejected: 'other_run' });
    await minutes(pb.manager, 3);
    await expectExact(pb.server, b.server.url);

    // And the intact file of run a still resumes run a.
    const again = await replicaOf(nats, 'runa', fileA);
    expect(again.follower.stats()).toMatchObject({
      resumedFrom: 'checkpoint',
      checkpointRejected: null,
      snapshotsLoaded: 0,
    });
    await expectExact(pa.server, again.server.url);
  }, 120_000);

  it('the run’s stream deleted and made again since the checkpoint: stream_changed, snapshot, exact', async () => {
    const nats = await natsServer(cleanup);
    const first = await pausedPublisher(nats, 'remade');
    await minutes(first.manager, 10);
    const file = join(tempDir(), 'remade.json');
    const a = await replicaOf(nats, 'remade', file);
    await expectExact(first.server, a.server.url);
    await a.close();
    const cp = readOnDisk(file);
    await first.manager.stop();
    await first.publisher.close();
    const nc = await connectNats({ url: nats.url });
    cleanup.push(() => nc.close());
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(runNames('remade').stream);

    // A new publisher of the same run: a new stream, numbered from 1 again, longer than the old one was.
    const second = await pausedPublisher(nats, 'remade');
    await minutes(second.manager, cp.streamSeq + 10);
    await second.publisher.flush();
    const info = await jsm.streams.info(runNames('remade').stream);
    expect(info.state.first_seq).toBeLessThanOrEqual(cp.streamSeq + 1);
    expect(info.state.last_seq).toBeGreaterThan(cp.streamSeq);

    const b = await replicaOf(nats, 'remade', file);
    expect(b.follower.stats()).toMatchObject({
      resumedFrom: 'snapshot',
      checkpointRejected: 'stream_changed',
      snapshotsLoaded: 1,
    });
    await minutes(second.manager, 5);
    await expectExact(second.server, b.server.url);
    expect(b.follower.stats().resyncs).toBe(0);
  }, 60_000);

  it('a checkpoint that cannot be written is counted and reported; the replica keeps following', async () => {
    const nats = await natsServer(cleanup);
    const { manager, server } = await pausedPublisher(nats, 'nodir');
    const file = join(tempDir(), 'no', 'such', 'dir', 'cp.json');
    const r = await replicaOf(nats, 'nodir', file);
    await minutes(manager, 20);
    await expectExact(server, r.server.url);
    await until(
      () => r.follower.stats().checkpointErrors >= 2,
      () => JSON.stringify(r.follower.stats()),
    );
    expect(r.follower.stats().checkpointsWritten).toBe(0);
    expect(r.follower.stats().checkpointError).toMatch(/ENOENT/);
    await minutes(manager, 5);
    await expectExact(server, r.server.url);
  }, 60_000);
});
