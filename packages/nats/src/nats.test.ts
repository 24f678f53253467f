import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { SysServer } from '@sys/server';
import { describe, expect, it } from 'vitest';
import {
  cleanupAfterEach,
  expectAllExact,
  minutes,
  natsServer,
  publisherOf,
  SseCopy,
  startPaused,
  stateOf,
  until,
} from '../test/helpers.js';
import { connectNats, Follower, NatsError, natsStatus, Publisher, runNames, startReplica } from './index.js';
import type { NatsServer } from './testing.js';

const cleanup = cleanupAfterEach();

async function replicaOf(nats: NatsServer, run: string) {
  const r = await startReplica({ nats: { url: nats.url }, run, server: { port: 0 }, resyncDelayMs: 50 });
  cleanup.push(() => r.close());
  return r;
}

function copyOf(server: SysServer, resume?: SseCopy): SseCopy {
  const c = new SseCopy(server, resume);
  cleanup.push(() => c.close());
  return c;
}

describe('publisher → JetStream → replicas', () => {
  it('two replicas serve SSE clients who end equal to the publisher’s GET /v1/state at the same epoch:seq', async () => {
    const nats = await natsServer(cleanup);
    const { manager, server } = await publisherOf(cleanup, nats, 'day');
    const replicas = [await replicaOf(nats, 'day'), await replicaOf(nats, 'day')];
    const copies = replicas.flatMap((r) => [copyOf(r.server), copyOf(r.server)]);
    const direct = copyOf(server);
    await manager.start();
    await manager.done();
    await expectAllExact(server, [direct, ...copies]);
    const at = await stateOf(server);
    expect(at.position).toMatch(/^.+:\d+$/);
    // The replica's own GET /v1/state answers the same position and state.
    for (const r of replicas) {
      const mine = await stateOf(r.server);
      expect(mine).toEqual(at);
      expect(r.follower.stats().corrupt).toBe(0);
    }
    for (const c of copies) expect(c.errors).toEqual([]);
    // The whole day went through the stream, not one snapshot per position.
    expect(copies[0]?.received.filter((e) => e.t === 'delta').length).toBeGreaterThan(0);
  }, 60_000);

  it('a client moves from the publisher to a replica and resumes by Last-Event-ID with one delta, no snapshot', async () => {
    const nats = await natsServer(cleanup);
    const { manager, server, publisher } = await publisherOf(cleanup, nats, 'move');
    const replica = await replicaOf(nats, 'move');
    await startPaused(manager);
    const first = copyOf(server);
    await minutes(manager, 5);
    await expectAllExact(server, [first]);
    first.close();
    const left = first.position;
    await minutes(manager, 60);
    await publisher.flush();
    const moved = copyOf(replica.server, first);
    await expectAllExact(server, [moved]);
    expect(moved.received[0]?.t).toBe('delta');
    expect(moved.received[0]?.from).toBe(Number(left.split(':')[1]));
    expect(moved.received.some((e) => e.t === 'snapshot')).toBe(false);
  }, 60_000);

  it('a replica started late loads the snapshot, then catches up from the stream', async () => {
    const nats = await natsServer(cleanup);
    const { manager, server, publisher } = await publisherOf(cleanup, nats, 'late', { snapshotEverySeq: 50 });
    await startPaused(manager);
    await minutes(manager, 240);
    await publisher.flush();
    const snapAt = publisher.stats().lastSnapshot;
    expect(snapAt).not.toBeNull();
    const replica = await replicaOf(nats, 'late');
    // It started from the stored snapshot, not from the start of the stream.
    expect(replica.follower.stats().snapshotsLoaded).toBe(1);
    const copy = copyOf(replica.server);
    await minutes(manager, 120);
    await expectAllExact(server, [copy]);
    expect(replica.follower.stats().resyncs).toBe(0);
    expect(replica.follower.stats().applied).toBeGreaterThan(0);
  }, 60_000);

  it('a publish repeated with the same Nats-Msg-Id is stored once', async () => {
    const nats = await natsServer(cleanup);
    const { manager, server, publisher } = await publisherOf(cleanup, nats, 'dup');
    const replica = await replicaOf(nats, 'dup');
    const copy = copyOf(replica.server);
    await startPaused(manager);
    await minutes(manager, 30);
    await publisher.flush();
    const nc = await connectNats({ url: nats.url });
    cleanup.push(() => nc.close());
    const jsm = await jetstreamManager(nc);
    const names = runNames('dup');
    const before = await jsm.streams.info(names.stream);
    const last = await jsm.streams.getMessage(names.stream, { seq: before.state.last_seq });
    const id = last?.header.get('Nats-Msg-Id') ?? '';
    expect(id).toBe(publisher.stats().published);
    const ack = await jetstream(nc).publish(names.subject, last?.data ?? new Uint8Array(), { msgID: id });
    expect(ack.duplicate).toBe(true);
    expect((await jsm.streams.info(names.stream)).state.messages).toBe(before.state.messages);
    await minutes(manager, 30);
    await expectAllExact(server, [copy]);
    expect(copy.errors).toEqual([]);
  }, 60_000);

  it('nats-server restarted mid-run: a short outage loses nothing; a long one is a counted gap and replicas resync exact', async () => {
    const nats = await natsServer(cleanup);
    const { manager, server, publisher } = await publisherOf(cleanup, nats, 'restart', { outboxMax: 20 });
    const replica = await replicaOf(nats, 'restart');
    const copy = copyOf(replica.server);
    await startPaused(manager);
    await minutes(manager, 30);
    await expectAllExact(server, [copy]);

    // Short: fewer positions than the outbox holds while NATS is down.
    await nats.stop();
    await minutes(manager, 5);
    await until(
      () => publisher.stats().outbox > 0,
      () => JSON.stringify(publisher.stats()),
    );
    await nats.restart();
    await expectAllExact(server, [copy]);
    expect(publisher.stats().gaps).toBe(0);
    expect(publisher.stats().dropped).toBe(0);

    // Long: more positions than the outbox holds.
    await nats.stop();
    await minutes(manager, 60);
    expect(publisher.stats().gaps).toBe(1);
    expect(publisher.stats().dropped).toBeGreaterThan(20);
    await nats.restart();
    await minutes(manager, 10);
    await expectAllExact(server, [copy]);
    expect(await publisher.flush()).toBe(true);
    expect(copy.errors).toEqual([]);
    // The replica took the snapshot published after the gap: its client got one catch-up, no error.
    expect(replica.follower.stats().corrupt).toBe(0);
  }, 90_000);

  it('a publisher restart (a new epoch) moves replicas and their clients to it', async () => {
    const nats = await natsServer(cleanup);
    const a = await publisherOf(cleanup, nats, 'epoch');
    const replica = await replicaOf(nats, 'epoch');
    const copy = copyOf(replica.server);
    await startPaused(a.manager);
    await minutes(a.manager, 30);
    await expectAllExact(a.server, [copy]);
    const oldEpoch = copy.epoch;
    await a.manager.stop();
    await a.publisher.close();
    const b = await publisherOf(cleanup, nats, 'epoch');
    await startPaused(b.manager);
    await minutes(b.manager, 45);
    await expectAllExact(b.server, [copy]);
    expect(copy.epoch).not.toBe(oldEpoch);
    expect(copy.received.some((e) => e.t === 'snapshot' && e.reason === 'epoch_changed')).toBe(true);
  }, 60_000);

  it('a corrupted message is counted, the replica resyncs from the store and ends exact', async () => {
    const nats = await natsServer(cleanup);
    const { manager, server, publisher } = await publisherOf(cleanup, nats, 'bad', { snapshotEverySeq: 5 });
    const replica = await replicaOf(nats, 'bad');
    const copy = copyOf(replica.server);
    await startPaused(manager);
    await minutes(manager, 30);
    await publisher.flush();
    await expectAllExact(server, [copy]);
    const nc = await connectNats({ url: nats.url });
    cleanup.push(() => nc.close());
    const js = jetstream(nc);
    const subject = runNames('bad').subject;
    const p = replica.follower.position;
    // Not JSON; then a delta from the replica's position whose op cannot apply.
    await js.publish(subject, '{"t":"delta", trunc');
    await js.publish(
      subject,
      JSON.stringify({
        t: 'delta',
        epoch: p.epoch,
        from: p.seq,
        to: p.seq + 1,
        ops: [{ op: 'replace', path: '/no/such/thing', value: 1 }],
      }),
    );
    await until(
      () => replica.follower.stats().corrupt === 2,
      () => JSON.stringify(replica.follower.stats()),
    );
    await minutes(manager, 30);
    await expectAllExact(server, [copy]);
    expect(replica.follower.stats().resyncs).toBeGreaterThanOrEqual(2);
    expect(copy.errors).toEqual([]);
  }, 60_000);

  it('sys nats status: the stream, its last seq, the snapshot and each follower’s lag', async () => {
    const nats = await natsServer(cleanup);
    const { manager, server, publisher } = await publisherOf(cleanup, nats, 'stat', { statusEveryMs: 50 });
    const replica = await startReplica({
      nats: { url: nats.url },
      run: 'stat',
      id: 'r1',
      statusEveryMs: 50,
      server: { port: 0 },
    });
    cleanup.push(() => replica.close());
    await startPaused(manager);
    await minutes(manager, 20);
    await publisher.flush();
    await expectAllExact(server, [copyOf(replica.server)]);
    const nc = await connectNats({ url: nats.url });
    cleanup.push(() => nc.close());
    let status = await natsStatus(nc);
    await until(
      async () => {
        status = await natsStatus(nc);
        return (
          status[0]?.followers[0]?.lagSeq === 0 &&
          status[0]?.publisher?.position === `${(await stateOf(server)).position}`
        );
      },
      () => JSON.stringify(status),
    );
    const run = status[0];
    expect(run?.run).toBe('stat');
    expect(run?.stream.lastSeq).toBe(publisher.stats().streamSeq);
    expect(run?.followers.map((f) => [f.id, f.lagMessages])).toEqual([['r1', 0]]);
    expect(run?.snapshot?.position).toMatch(/:/);
  }, 60_000);
});

describe('bad input', () => {
  it('a wrong URL, an unreachable server and refused credentials are NatsErrors naming the place', async () => {
    await expect(connectNats({ url: 'http://127.0.0.1:4222' })).rejects.toMatchObject({ code: 'NATS_URL' });
    await expect(connectNats({ url: 'nats://127.0.0.1:1', timeoutMs: 500 })).rejects.toMatchObject({
      code: 'NATS_CONNECT',
      message: expect.stringContaining('nats://127.0.0.1:1'),
    });
    const nats = await natsServer(cleanup, ['--auth', 'right-token']);
    await expect(connectNats({ url: nats.url, token: 'wrong' })).rejects.toMatchObject({ code: 'NATS_AUTH' });
    await expect(
      connectNats({ url: nats.url, credsFile: '/nonexistent/sys-test.creds' }),
    ).rejects.toBeInstanceOf(NatsError);
    const nc = await connectNats({ url: nats.url, token: 'right-token' });
    await nc.close();
  }, 30_000);

  it('following a run that is not there names the runs that are', async () => {
    const nats = await natsServer(cleanup);
    await publisherOf(cleanup, nats, 'present');
    const nc = await connectNats({ url: nats.url });
    cleanup.push(() => nc.close());
    await expect(Follower.start({ nc, run: 'absent' })).rejects.toMatchObject({
      code: 'NATS_NO_RUN',
      message: expect.stringContaining('runs there: present'),
    });
    expect(() => runNames('a.b')).toThrow(NatsError);
    await expect(
      Publisher.start({
        nc,
        run: 'x',
        hub: (await publisherOf(cleanup, nats, 'y')).server.hub,
        maxAgeMs: 10,
      }),
    ).rejects.toMatchObject({ code: 'NATS_OPTIONS' });
  }, 30_000);
});
