import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import {
  DiscardPolicy,
  type JetStreamClient,
  jetstream,
  jetstreamManager,
  StorageType,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { type ObjectStore, Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { delay, type Json } from '@sys/core';
import type { Prepared, StateHub, View } from '@sys/server';
import { NatsError } from './errors.js';
import { type RunNames, runNames, SNAPSHOT_OBJECT } from './names.js';

/** Options of a Publisher. */
export interface PublisherOptions {
  /** The hub whose positions are published (a server's `hub`). */
  hub: StateHub;
  /** An open connection (see `connectNats`). */
  nc: NatsConnection;
  /** The run's name: the stream is `sys_<run>`, the subject `sys.<run>.env`. */
  run: string;
  /** Envelopes older than this leave the stream. Default 1 hour. */
  maxAgeMs?: number;
  /** The stream keeps at most this many bytes (oldest dropped first). Default 1 GiB. */
  maxBytes?: number;
  /** A snapshot goes to the object store after this many positions… Default 1000. */
  snapshotEverySeq?: number;
  /** …or this long after the last one, whichever first (and at every epoch). Default 10 s. */
  snapshotEveryMs?: number;
  /** Envelopes held while NATS does not answer; past this the outbox is dropped as a gap. Default 10,000. */
  outboxMax?: number;
  /** Bytes held while NATS does not answer; past this, the same. Default 64 MiB. */
  outboxMaxBytes?: number;
  /** How long one publish waits for JetStream's ack before it is retried. Default 2 s. */
  publishTimeoutMs?: number;
  /** How often the publisher's position is written to the status bucket. Default 1 s. */
  statusEveryMs?: number;
  /** Wall clock (ms). */
  now?: () => number;
}

/** What a publisher did so far. */
export interface PublisherStats {
  /** The hub's latest position published (acked by JetStream), `epoch:seq`, or null before the first. */
  readonly published: string | null;
  /** JetStream sequence of that message. */
  readonly streamSeq: number;
  /** Envelopes acked. */
  readonly acked: number;
  /** Publishes JetStream recognised by message id as already stored (a retry after a lost ack). */
  readonly duplicates: number;
  /** Failed publish attempts (timeouts, NATS down); each was retried. */
  readonly publishErrors: number;
  /** Envelopes waiting in the outbox now, and their bytes. */
  readonly outbox: number;
  readonly outboxBytes: number;
  /** Times the outbox overflowed: followers resync from the snapshot published after it. */
  readonly gaps: number;
  /** Envelopes dropped by those gaps. */
  readonly dropped: number;
  /** Snapshots written to the object store, and the last one's position. */
  readonly snapshots: number;
  readonly lastSnapshot: string | null;
  readonly snapshotErrors: number;
}

/** One message waiting to be published. */
interface Item {
  readonly id: string;
  readonly text: string;
  readonly bytes: number;
  readonly epoch: string;
  readonly seq: number;
  /** The state at this position, when a snapshot of it goes to the object store once it is acked. */
  readonly state: Json | undefined;
}

/** The defaults of the stream limits and snapshot cadence (the CLI shows them). */
export const PUBLISH_DEFAULTS = {
  maxAgeMs: 3_600_000,
  maxBytes: 1024 ** 3,
  snapshotEverySeq: 1000,
  snapshotEveryMs: 10_000,
  outboxMax: 10_000,
  outboxMaxBytes: 64 * 1024 ** 2,
} as const;

const DUPLICATE_WINDOW_MS = 120_000;

const gzipAsync = promisify(gzip);

/**
 * Publishes every position of a hub's plain face (unfiltered) to a JetStream stream, one envelope per
 * message with `Nats-Msg-Id: epoch:seq`, and the complete state to an object store now and then. The hub
 * is never held up: envelopes wait in a bounded outbox while NATS is away; when it overflows, the outbox is
 * dropped, counted as a gap, and a snapshot envelope is published first once NATS answers again.
 */
export class Publisher {
  readonly names: RunNames;
  readonly #o: Required<Omit<PublisherOptions, 'hub' | 'nc' | 'run' | 'now'>>;
  readonly #hub: StateHub;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #now: () => number;
  readonly #view: View;
  readonly #subscriber = { onEnvelope: (e: Prepared) => this.#enqueue(e) };
  readonly #outbox: Item[] = [];
  #outboxBytes = 0;
  #gapPending = false;
  #wake: (() => void) | undefined;
  #closed = false;
  #loop: Promise<void> = Promise.resolve();
  #objects: ObjectStore | undefined;
  #kv: KV | undefined;
  #snapshotEpoch = '';
  #snapshotSeq = 0;
  #snapshotMs = 0;
  #snapshotting: Promise<void> | undefined;
  #nextSnapshot: { item: Item; streamSeq: number } | undefined;
  #statusTimer: NodeJS.Timeout | undefined;
  #stats = {
    published: null as string | null,
    streamSeq: 0,
    acked: 0,
    duplicates: 0,
    publishErrors: 0,
    gaps: 0,
    dropped: 0,
    snapshots: 0,
    lastSnapshot: null as string | null,
    snapshotErrors: 0,
  };

  private constructor(options: PublisherOptions) {
    this.names = runNames(options.run);
    this.#hub = options.hub;
    this.#nc = options.nc;
    this.#js = jetstream(options.nc);
    this.#now = options.now ?? Date.now;
    this.#o = {
      maxAgeMs: options.maxAgeMs ?? PUBLISH_DEFAULTS.maxAgeMs,
      maxBytes: options.maxBytes ?? PUBLISH_DEFAULTS.maxBytes,
      snapshotEverySeq: options.snapshotEverySeq ?? PUBLISH_DEFAULTS.snapshotEverySeq,
      snapshotEveryMs: options.snapshotEveryMs ?? PUBLISH_DEFAULTS.snapshotEveryMs,
      outboxMax: options.outboxMax ?? PUBLISH_DEFAULTS.outboxMax,
      outboxMaxBytes: options.outboxMaxBytes ?? PUBLISH_DEFAULTS.outboxMaxBytes,
      publishTimeoutMs: options.publishTimeoutMs ?? 2000,
      statusEveryMs: options.statusEveryMs ?? 1000,
    };
    this.#view = this.#hub.view({ debug: false });
  }

  /**
   * Makes (or updates) the run's stream, snapshot and status buckets, then publishes a snapshot of the hub's
   * state now and every later position.
   */
  static async start(options: PublisherOptions): Promise<Publisher> {
    checkLimits(options);
    const names = runNames(options.run);
    const jsm = await jetstreamManager(options.nc).catch((error: unknown) => {
      throw new NatsError(
        'NATS_NO_JETSTREAM',
        `NATS at ${options.nc.getServer()} has no JetStream: start nats-server with -js (${(error as Error).message})`,
        { cause: error },
      );
    });
    const maxAgeMs = options.maxAgeMs ?? PUBLISH_DEFAULTS.maxAgeMs;
    const config = {
      name: names.stream,
      subjects: [names.subject],
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: maxAgeMs * 1_000_000,
      max_bytes: options.maxBytes ?? PUBLISH_DEFAULTS.maxBytes,
      duplicate_window: Math.min(DUPLICATE_WINDOW_MS, maxAgeMs) * 1_000_000,
    };
    try {
      const info = await jsm.streams.info(names.stream).catch(() => undefined);
      if (info === undefined) await jsm.streams.add(config);
      else await jsm.streams.update(names.stream, { ...info.config, ...config });
    } catch (error) {
      throw new NatsError(
        'NATS_STREAM',
        `cannot make the stream ${names.stream} (subject ${names.subject}) on ${options.nc.getServer()}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const p = new Publisher(options);
    p.#objects = await new Objm(options.nc).create(names.snapshots, { storage: StorageType.File });
    p.#kv = await new Kvm(options.nc).create(names.status, { history: 1, ttl: 24 * 3_600_000 });
    p.#enqueue(p.#hub.snapshot(p.#view, 'new_consumer'));
    p.#hub.attach(p.#view, p.#subscriber);
    p.#loop = p.#flushLoop();
    p.#statusTimer = setInterval(() => void p.#writeStatus(), p.#o.statusEveryMs);
    p.#statusTimer.unref();
    return p;
  }

  /** What was published so far. */
  stats(): PublisherStats {
    return { ...this.#stats, outbox: this.#outbox.length, outboxBytes: this.#outboxBytes };
  }

  /**
   * Resolves once every envelope queued so far is acked (and the snapshot in progress is written), or after
   * `timeoutMs`; returns whether the outbox drained.
   */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const end = this.#now() + timeoutMs;
    while (this.#outbox.length > 0 || this.#gapPending || this.#snapshotting !== undefined) {
      if (this.#now() > end) return false;
      await delay(10);
    }
    return true;
  }

  /** Stops following the hub; publishes what is queued (up to `timeoutMs`) and writes a last status. */
  async close(timeoutMs = 5000): Promise<void> {
    this.#hub.detach(this.#view, this.#subscriber);
    await this.flush(timeoutMs);
    this.#closed = true;
    this.#wake?.();
    if (this.#statusTimer !== undefined) clearInterval(this.#statusTimer);
    await this.#loop;
    await this.#writeStatus();
  }

  #enqueue(e: Prepared): void {
    if (this.#closed) return;
    if (this.#gapPending) {
      this.#stats.dropped++;
      return;
    }
    const item = this.#item(e.text, e.epoch, e.to, e.kind === 'snapshot');
    this.#outbox.push(item);
    this.#outboxBytes += item.bytes;
    if (this.#outbox.length > this.#o.outboxMax || this.#outboxBytes > this.#o.outboxMaxBytes) {
      // NATS has been away longer than the outbox holds: drop it; a snapshot goes first when NATS is back.
      this.#stats.gaps++;
      this.#stats.dropped += this.#outbox.length;
      this.#outbox.length = 0;
      this.#outboxBytes = 0;
      this.#gapPending = true;
    }
    this.#wake?.();
  }

  #item(text: string, epoch: string, seq: number, isSnapshot: boolean): Item {
    const bytes = Buffer.byteLength(text);
    const due =
      isSnapshot ||
      bytes > this.#maxPayload() ||
      epoch !== this.#snapshotEpoch ||
      seq - this.#snapshotSeq >= this.#o.snapshotEverySeq ||
      this.#now() - this.#snapshotMs >= this.#o.snapshotEveryMs;
    if (due) {
      this.#snapshotEpoch = epoch;
      this.#snapshotSeq = seq;
      this.#snapshotMs = this.#now();
    }
    return {
      id: `${epoch}:${seq}`,
      text,
      bytes,
      epoch,
      seq,
      state: due ? this.#view.state : undefined,
    };
  }

  /** The most bytes of envelope one message carries (the server's max_payload, less room for headers). */
  #maxPayload(): number {
    return (this.#nc.info?.max_payload ?? 1024 * 1024) - 1024;
  }

  async #flushLoop(): Promise<void> {
    let backoffMs = 50;
    while (!this.#closed) {
      if (this.#gapPending && this.#outbox.length === 0) {
        // Back from a gap: the complete state first, so followers resync from the stream itself.
        this.#gapPending = false;
        this.#enqueue(this.#hub.snapshot(this.#view, 'position_gone'));
      }
      const item = this.#outbox[0];
      if (item === undefined) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
        continue;
      }
      // An envelope too big for one message: a gap marker; followers load the object store's snapshot.
      const text =
        item.bytes > this.#maxPayload()
          ? JSON.stringify({ t: 'gap', epoch: item.epoch, seq: item.seq })
          : item.text;
      try {
        const ack = await this.#js.publish(this.names.subject, text, {
          msgID: item.id,
          timeout: this.#o.publishTimeoutMs,
        });
        backoffMs = 50;
        if (this.#outbox[0] === item) {
          this.#outbox.shift();
          this.#outboxBytes -= item.bytes;
        }
        this.#stats.acked++;
        if (ack.duplicate) this.#stats.duplicates++;
        this.#stats.published = item.id;
        this.#stats.streamSeq = ack.seq;
        if (item.state !== undefined || text !== item.text) this.#snapshot(item, ack.seq);
      } catch {
        this.#stats.publishErrors++;
        await delay(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 1000);
      }
    }
  }

  /** Writes the state at `item` to the object store after its message is in the stream (latest wins). */
  #snapshot(item: Item, streamSeq: number): void {
    this.#nextSnapshot = { item, streamSeq };
    if (this.#snapshotting !== undefined) return;
    this.#snapshotting = (async () => {
      while (this.#nextSnapshot !== undefined) {
        const { item: it, streamSeq: at } = this.#nextSnapshot;
        this.#nextSnapshot = undefined;
        const state = it.state ?? this.#view.state;
        // The hub keeps the JSON of its view's current state for snapshots: reuse it when it is this state.
        const text = state === this.#view.state ? this.#hub.stateText(this.#view) : JSON.stringify(state);
        const body = `{"epoch":${JSON.stringify(it.epoch)},"seq":${it.seq},"streamSeq":${at},"state":${text}}`;
        try {
          // Compressed off the event loop (zlib's thread pool): a large state's JSON shrinks ~10×, which is
          // what a follower then fetches and digests (the object store checks SHA-256 in JavaScript).
          const packed = await gzipAsync(Buffer.from(body), { level: 1 });
          await (this.#objects as ObjectStore).putBlob(
            { name: SNAPSHOT_OBJECT, description: `${it.epoch}:${it.seq}` },
            packed,
          );
          this.#stats.snapshots++;
          this.#stats.lastSnapshot = it.id;
        } catch {
          this.#stats.snapshotErrors++;
          // The next due snapshot tries again; until then followers use the previous one.
        }
      }
      this.#snapshotting = undefined;
    })();
  }

  async #writeStatus(): Promise<void> {
    const kv = this.#kv;
    if (kv === undefined || this.#nc.isClosed()) return;
    const s = this.stats();
    const p = this.#hub.position;
    const value = JSON.stringify({ ...s, position: `${p.epoch}:${p.seq}`, updatedMs: this.#now() });
    await kv.put('publisher', value).catch(() => undefined);
  }
}

function checkLimits(o: PublisherOptions): void {
  const keys = [
    'maxAgeMs',
    'maxBytes',
    'snapshotEverySeq',
    'snapshotEveryMs',
    'outboxMax',
    'outboxMaxBytes',
    'publishTimeoutMs',
    'statusEveryMs',
  ] as const;
  for (const k of keys) {
    const v = o[k];
    if (v !== undefined && (!Number.isSafeInteger(v) || v <= 0)) {
      throw new NatsError(
        'NATS_OPTIONS',
        `publisher option ${k} must be a positive integer, got ${String(v)}`,
      );
    }
  }
  if (o.maxAgeMs !== undefined && o.maxAgeMs < 1000) {
    throw new NatsError('NATS_OPTIONS', `maxAgeMs must be at least 1000 (1 s), got ${o.maxAgeMs}`);
  }
}
