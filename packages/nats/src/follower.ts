import { hostname } from 'node:os';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import {
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { type ObjectStore, Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { delay, type Json, sealParsed } from '@sys/core';
import { writeFileAtomic } from '@sys/core/fs';
import { applyPatch, fingerprint } from '@sys/diff-tracker';
import { type Position, StateHub } from '@sys/server';
import {
  CHECKPOINT_FORMAT,
  type Checkpoint,
  type CheckpointRejection,
  readCheckpoint,
} from './checkpoint.js';
import { NatsError } from './errors.js';
import { type RunNames, runNames, SNAPSHOT_OBJECT } from './names.js';

/** Options of a Follower. */
export interface FollowerOptions {
  /** An open connection (see `connectNats`). */
  nc: NatsConnection;
  /** The publisher's run name (its `--name`). */
  run: string;
  /**
   * Fingerprint of a state: envelopes carrying `fp` are checked against it after they apply (default
   * @sys/diff-tracker's; `previous`, the copy before, only makes it faster).
   */
  fingerprint?: (state: Json, previous?: Json) => string;
  /** This follower's name in the status bucket. Default host-pid. */
  id?: string;
  /** Positions the follower's hub keeps for its clients to resume (see @sys/server). */
  maxPositions?: number;
  maxHistoryBytes?: number;
  /** How long `start` waits for the run's first snapshot. Default 30 s. */
  snapshotWaitMs?: number;
  /** Pause between two resync attempts. Default 250 ms. */
  resyncDelayMs?: number;
  /** How often this follower's position is written to the status bucket. Default 1 s. */
  statusEveryMs?: number;
  /**
   * A file where the follower keeps its position and copy (written atomically), so a restarted follower
   * resumes from it with no snapshot load while the stream still holds the messages after it.
   */
  checkpointFile?: string;
  /** Least time between two checkpoint writes (one more is written on close). Default 1 s. */
  checkpointEveryMs?: number;
  /** Wall clock (ms). */
  now?: () => number;
}

/** What a follower did so far. */
export interface FollowerStats {
  /** Position of its copy, `epoch:seq`. */
  readonly position: string;
  /** JetStream sequence of the last message applied (or of the loaded snapshot). */
  readonly streamSeq: number;
  /** Envelopes applied. */
  readonly applied: number;
  /** Messages skipped: already applied (a redelivery), or known bad. */
  readonly skipped: number;
  /** Snapshots loaded from the object store (the first load counts). */
  readonly snapshotsLoaded: number;
  /** Times the copy was rebuilt from a snapshot: a gap, a bad message, a gap marker. */
  readonly resyncs: number;
  /** Messages that could not be read or applied, or whose fingerprint did not match. */
  readonly corrupt: number;
  /** Where the copy started: the checkpoint file (no snapshot loaded) or the object store's snapshot. */
  readonly resumedFrom: 'checkpoint' | 'snapshot';
  /** Why the checkpoint file was not used, when one was given and the snapshot was loaded instead. */
  readonly checkpointRejected: CheckpointRejection | null;
  /** The same in words (which file, which positions), for a log line. */
  readonly checkpointDetail: string | null;
  /** Checkpoints written, failed writes (never thrown: the follower goes on), and the last failure. */
  readonly checkpointsWritten: number;
  readonly checkpointErrors: number;
  readonly checkpointError: string | null;
}

/** A snapshot as the publisher writes it to the object store. */
interface StoredSnapshot {
  readonly epoch: string;
  readonly seq: number;
  readonly streamSeq: number;
  readonly state: Json;
}

/** Why the consumer loop stopped: a resync from the store, needing a snapshot at or after `minStreamSeq`. */
interface Resync {
  readonly minStreamSeq: number;
}

/**
 * Keeps an exact copy of a publisher's plain state from its JetStream stream and pushes each position into
 * a fed StateHub with the publisher's own epoch and seq, so a `startServer({ hub })` over it serves clients
 * who can move between the publisher and any replica and resume where they were.
 */
export class Follower {
  readonly names: RunNames;
  readonly id: string;
  #hub: StateHub | undefined;
  readonly #o: FollowerOptions;
  /** The fingerprint checks and checkpoints use (default @sys/diff-tracker's). */
  readonly #fingerprint: (state: Json, previous?: Json) => string;
  readonly #js: JetStreamClient;
  readonly #now: () => number;
  #objects: ObjectStore | undefined;
  #kv: KV | undefined;
  #epoch = '';
  #seq = 0;
  #streamSeq = 0;
  #state: Json = null;
  readonly #bad = new Set<number>();
  #messages: ConsumerMessages | undefined;
  #closed = false;
  #loop: Promise<void> = Promise.resolve();
  #statusTimer: NodeJS.Timeout | undefined;
  #checkpointTimer: NodeJS.Timeout | undefined;
  /** The write in flight (at most one), and the position the file holds (`epoch:seq@streamSeq`). */
  #checkpointing: Promise<void> | undefined;
  #checkpointAt = '';
  #stats = {
    applied: 0,
    skipped: 0,
    snapshotsLoaded: 0,
    resyncs: 0,
    corrupt: 0,
    resumedFrom: 'snapshot' as 'checkpoint' | 'snapshot',
    checkpointRejected: null as CheckpointRejection | null,
    checkpointDetail: null as string | null,
    checkpointsWritten: 0,
    checkpointErrors: 0,
    checkpointError: null as string | null,
  };

  private constructor(options: FollowerOptions) {
    this.names = runNames(options.run);
    // Envelopes carry `fp` (the server's default): check each against the copy unless told otherwise.
    this.#o = options;
    this.#fingerprint = options.fingerprint ?? fingerprint;
    this.#js = jetstream(options.nc);
    this.#now = options.now ?? Date.now;
    this.id = (options.id ?? `${hostname()}-${process.pid}`).replace(/[^A-Za-z0-9_-]/g, '_');
  }

  /**
   * Checks the run's stream exists; resumes from the checkpoint file when it is usable (this run, its
   * fingerprint right, the stream still holding the message after it), else loads the latest snapshot
   * (waiting up to `snapshotWaitMs` for the first); then follows the stream from there.
   */
  static async start(options: FollowerOptions): Promise<Follower> {
    const every = options.checkpointEveryMs;
    if (every !== undefined && (!Number.isSafeInteger(every) || every <= 0)) {
      throw new NatsError(
        'NATS_OPTIONS',
        `follower option checkpointEveryMs must be a positive integer, got ${String(every)}`,
      );
    }
    const f = new Follower(options);
    const names = f.names;
    let jsm: JetStreamManager;
    try {
      jsm = await jetstreamManager(options.nc);
    } catch (error) {
      throw new NatsError(
        'NATS_NO_JETSTREAM',
        `NATS at ${options.nc.getServer()} has no JetStream: start nats-server with -js (${(error as Error).message})`,
        { cause: error },
      );
    }
    const info = await jsm.streams.info(names.stream).catch(() => undefined);
    if (info === undefined || !info.config.subjects?.includes(names.subject)) {
      const runs: string[] = [];
      for await (const name of jsm.streams.names()) {
        if (name.startsWith('sys_')) runs.push(name.slice(4));
      }
      throw new NatsError(
        'NATS_NO_RUN',
        `no run ${JSON.stringify(names.run)} on NATS at ${options.nc.getServer()}: no stream ${names.stream} with subject ${names.subject}` +
          ` (runs there: ${runs.length === 0 ? 'none' : runs.join(', ')}); start the publisher with --publish … --name ${names.run}`,
      );
    }
    f.#objects = await new Objm(options.nc).open(names.snapshots);
    f.#kv = await new Kvm(options.nc).create(names.status, { history: 1, ttl: 24 * 3_600_000 });
    const resumed = await f.#usableCheckpoint(jsm, info.state.first_seq, info.state.last_seq);
    if (resumed !== undefined) {
      f.#epoch = resumed.epoch;
      f.#seq = resumed.seq;
      f.#streamSeq = resumed.streamSeq;
      f.#state = resumed.state;
      f.#checkpointAt = f.#checkpointKey();
      f.#stats.resumedFrom = 'checkpoint';
    } else {
      const end = f.#now() + (options.snapshotWaitMs ?? 30_000);
      let snap = await f.#loadSnapshot();
      while (snap === undefined) {
        if (f.#now() > end) {
          throw new NatsError(
            'NATS_NO_SNAPSHOT',
            `run ${names.run} has no snapshot in ${names.snapshots} after ${options.snapshotWaitMs ?? 30_000} ms; is its publisher running?`,
          );
        }
        await delay(100);
        snap = await f.#loadSnapshot();
      }
      f.#adopt(snap);
    }
    f.#hub = new StateHub({
      initial: { epoch: f.#epoch, seq: f.#seq, state: f.#state },
      ...(options.maxPositions === undefined ? {} : { maxPositions: options.maxPositions }),
      ...(options.maxHistoryBytes === undefined ? {} : { maxHistoryBytes: options.maxHistoryBytes }),
      fingerprint: f.#fingerprint,
    });
    f.#state = f.#hub.state;
    f.#loop = f.#run();
    f.#statusTimer = setInterval(() => void f.#writeStatus(), options.statusEveryMs ?? 1000);
    f.#statusTimer.unref();
    if (options.checkpointFile !== undefined) {
      f.#checkpointTimer = setInterval(() => void f.#writeCheckpoint(), options.checkpointEveryMs ?? 1000);
      f.#checkpointTimer.unref();
    }
    return f;
  }

  /** The checkpoint to resume from, or undefined (the reason goes to the stats). */
  async #usableCheckpoint(
    jsm: JetStreamManager,
    firstSeq: number,
    lastSeq: number,
  ): Promise<Checkpoint | undefined> {
    const file = this.#o.checkpointFile;
    if (file === undefined) return undefined;
    const read = await readCheckpoint(file, this.names.run, this.#fingerprint);
    if (!read.ok) {
      this.#stats.checkpointRejected = read.reason;
      this.#stats.checkpointDetail = read.detail;
      return undefined;
    }
    const cp = read.checkpoint;
    // The next message must still be in the stream (an empty, purged stream has first = last + 1).
    if (firstSeq > cp.streamSeq + 1 || lastSeq < cp.streamSeq) {
      this.#stats.checkpointRejected = 'not_retained';
      this.#stats.checkpointDetail =
        `the checkpoint in ${file} resumes at stream message ${cp.streamSeq + 1}, ` +
        `the stream ${this.names.stream} holds ${firstSeq}..${lastSeq}`;
      return undefined;
    }
    // The message it last took, when still there, carries its position as Nats-Msg-Id (a skipped duplicate
    // an earlier one of the same epoch): any other means the run's stream was deleted and made again.
    if (cp.streamSeq >= firstSeq && cp.streamSeq > 0) {
      const m = await jsm.streams.getMessage(this.names.stream, { seq: cp.streamSeq }).catch(() => null);
      const id = m?.header?.get('Nats-Msg-Id') ?? '';
      const cut = id.lastIndexOf(':');
      if (cut > 0 && (id.slice(0, cut) !== cp.epoch || Number(id.slice(cut + 1)) > cp.seq)) {
        this.#stats.checkpointRejected = 'stream_changed';
        this.#stats.checkpointDetail =
          `stream message ${cp.streamSeq} of ${this.names.stream} is position ${id}, the checkpoint in ${file} ` +
          `is at ${cp.epoch}:${cp.seq} (the stream was made again)`;
        return undefined;
      }
    }
    return cp;
  }

  /** The fed hub holding the copy, for `startServer({ hub })`. */
  get hub(): StateHub {
    return this.#hub as StateHub;
  }

  /** The copy's position. */
  get position(): Position {
    return { epoch: this.#epoch, seq: this.#seq };
  }

  /** What this follower did so far. */
  stats(): FollowerStats {
    return { ...this.#stats, position: `${this.#epoch}:${this.#seq}`, streamSeq: this.#streamSeq };
  }

  /** Stops following (the hub keeps its last state), writes a last checkpoint and a last status. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#statusTimer !== undefined) clearInterval(this.#statusTimer);
    if (this.#checkpointTimer !== undefined) clearInterval(this.#checkpointTimer);
    await this.#messages?.close().catch(() => undefined);
    // A JetStream request in flight while NATS is away ends at its own timeout; do not wait for it.
    await Promise.race([this.#loop, delay(1000)]);
    await this.#checkpointing;
    await this.#writeCheckpoint();
    await this.#writeStatus();
  }

  #checkpointKey(): string {
    return `${this.#epoch}:${this.#seq}@${this.#streamSeq}`;
  }

  /**
   * Writes the copy to the checkpoint file when its position moved since the last write and no write is in
   * flight (else this tick is skipped): the consumer loop never waits for the disk. A failed write is
   * counted and the next tick tries again.
   */
  #writeCheckpoint(): Promise<void> | undefined {
    const file = this.#o.checkpointFile;
    if (file === undefined || this.#checkpointing !== undefined || this.#hub === undefined) return undefined;
    const at = this.#checkpointKey();
    if (at === this.#checkpointAt) return undefined;
    let text: string;
    try {
      const cp: Checkpoint = {
        format: CHECKPOINT_FORMAT,
        run: this.names.run,
        epoch: this.#epoch,
        seq: this.#seq,
        streamSeq: this.#streamSeq,
        fp: this.#fingerprint(this.#state),
        state: this.#state,
      };
      text = JSON.stringify(cp);
    } catch (error) {
      this.#checkpointFailed(error);
      return undefined;
    }
    const written = writeFileAtomic(file, text).then(
      () => {
        this.#checkpointAt = at;
        this.#stats.checkpointsWritten++;
        this.#checkpointing = undefined;
      },
      (error: unknown) => {
        this.#checkpointFailed(error);
        this.#checkpointing = undefined;
      },
    );
    this.#checkpointing = written;
    return written;
  }

  #checkpointFailed(error: unknown): void {
    this.#stats.checkpointErrors++;
    this.#stats.checkpointError = error instanceof Error ? error.message : String(error);
  }

  async #run(): Promise<void> {
    let minStreamSeq: number | undefined;
    while (!this.#closed) {
      if (minStreamSeq !== undefined) {
        await this.#resync(minStreamSeq);
        minStreamSeq = undefined;
        if (this.#closed) break;
      }
      try {
        const consumer = await this.#js.consumers.get(this.names.stream, {
          filter_subjects: this.names.subject,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: this.#streamSeq + 1,
        });
        const messages = await consumer.consume({ max_messages: 256 });
        this.#messages = messages;
        if (this.#closed) break;
        for await (const m of messages) {
          const r = this.#handle(m.seq, m.data);
          if (r !== undefined) {
            minStreamSeq = r.minStreamSeq;
            break;
          }
        }
        await messages.close().catch(() => undefined);
      } catch {
        // NATS away or the consumer lost: try again from where the copy is.
        if (!this.#closed) await delay(this.#o.resyncDelayMs ?? 250);
      }
    }
  }

  /** Applies one message; returns a Resync when the copy must be rebuilt from the store. */
  #handle(streamSeq: number, data: Uint8Array): Resync | undefined {
    let e: Envelope;
    try {
      e = readEnvelope(data);
    } catch {
      return this.#badMessage(streamSeq);
    }
    if (e.t === 'gap') {
      if (e.epoch === this.#epoch && e.seq <= this.#seq) return this.#skip(streamSeq);
      // The publisher lost positions (or the envelope was too big): its store has a snapshot at this message.
      return { minStreamSeq: streamSeq };
    }
    if (e.t === 'snapshot') {
      if (e.epoch === this.#epoch && e.seq <= this.#seq) return this.#skip(streamSeq);
      const state = sealParsed(e.state);
      if (!this.#fingerprintOk(state, e.fp)) return this.#badMessage(streamSeq);
      this.#commit(e.epoch, e.seq, state, streamSeq);
      return undefined;
    }
    if (e.epoch === this.#epoch && e.to <= this.#seq) return this.#skip(streamSeq);
    if (e.epoch !== this.#epoch || e.from !== this.#seq) {
      // Positions are missing before this one (they left the stream, or the copy is behind): resync.
      return { minStreamSeq: 0 };
    }
    let next: Json;
    try {
      // The copy is sealed: freezing only what the patch made keeps it so, and the fingerprint then
      // re-hashes only the changed nodes (unchanged frozen ones are cached).
      next = applyPatch(this.#state, e.ops, { freeze: true });
    } catch {
      return this.#badMessage(streamSeq);
    }
    if (!this.#fingerprintOk(next, e.fp, this.#state)) return this.#badMessage(streamSeq);
    this.#commit(e.epoch, e.to, next, streamSeq);
    return undefined;
  }

  #skip(streamSeq: number): undefined {
    this.#stats.skipped++;
    this.#streamSeq = streamSeq;
    return undefined;
  }

  /**
   * A message that cannot be read or applied. The first time: counted, and the copy is rebuilt from the
   * latest snapshot. Met again while replaying after that snapshot: skipped, so a message that is not an
   * envelope costs one resync; a real envelope lost this way shows as a gap at the next one (resync again,
   * until a snapshot newer than it exists).
   */
  #badMessage(streamSeq: number): Resync | undefined {
    if (this.#bad.has(streamSeq)) return this.#skip(streamSeq);
    this.#bad.add(streamSeq);
    if (this.#bad.size > 1000) this.#bad.delete(this.#bad.values().next().value as number);
    this.#stats.corrupt++;
    return { minStreamSeq: 0 };
  }

  #fingerprintOk(state: Json, fp: string | undefined, previous?: Json): boolean {
    return fp === undefined || this.#fingerprint(state, previous) === fp;
  }

  #commit(epoch: string, seq: number, state: Json, streamSeq: number): void {
    this.#epoch = epoch;
    this.#seq = seq;
    this.#streamSeq = streamSeq;
    this.#stats.applied++;
    this.#pushToHub(epoch, seq, state);
  }

  /**
   * Moves the hub to this position and keeps the hub's (sealed) state as the copy when it took it. While
   * replaying after a resync the hub may be ahead already: it keeps its position until this passes it.
   */
  #pushToHub(epoch: string, seq: number, state: Json): void {
    const hub = this.#hub as StateHub;
    hub.push({ epoch, seq }, state);
    const at = hub.position;
    this.#state = at.epoch === epoch && at.seq === seq ? hub.state : state;
  }

  async #resync(minStreamSeq: number): Promise<void> {
    this.#stats.resyncs++;
    let first = true;
    while (!this.#closed) {
      if (!first) await delay(this.#o.resyncDelayMs ?? 250);
      first = false;
      const snap = await this.#loadSnapshot().catch(() => undefined);
      if (snap === undefined || snap.streamSeq < minStreamSeq) continue;
      this.#adopt(snap);
      this.#pushToHub(snap.epoch, snap.seq, snap.state);
      return;
    }
  }

  #adopt(snap: StoredSnapshot): void {
    this.#epoch = snap.epoch;
    this.#seq = snap.seq;
    this.#streamSeq = snap.streamSeq;
    this.#state = snap.state;
    this.#stats.snapshotsLoaded++;
  }

  async #loadSnapshot(): Promise<StoredSnapshot | undefined> {
    const blob = await (this.#objects as ObjectStore).getBlob(SNAPSHOT_OBJECT);
    if (blob === null) return undefined;
    // Publishers store it gzipped (magic 1f 8b; JSON never starts so); older ones wrote plain JSON.
    const raw = blob[0] === 0x1f && blob[1] === 0x8b ? await gunzipAsync(blob) : Buffer.from(blob);
    const v = JSON.parse(raw.toString('utf8')) as Partial<StoredSnapshot>;
    if (typeof v.epoch !== 'string' || typeof v.seq !== 'number' || typeof v.streamSeq !== 'number') {
      throw new NatsError(
        'NATS_SNAPSHOT',
        `the snapshot in ${this.names.snapshots} is not one a publisher wrote`,
      );
    }
    // Fresh from the parse and ours alone: frozen in place, so the hub keeps it without a copy.
    sealParsed(v.state);
    return v as StoredSnapshot;
  }

  async #writeStatus(): Promise<void> {
    if (this.#kv === undefined || this.#o.nc.isClosed()) return;
    const value = JSON.stringify({ ...this.stats(), updatedMs: this.#now() });
    await this.#kv.put(`follower.${this.id}`, value).catch(() => undefined);
  }
}

type Envelope =
  | { t: 'snapshot'; epoch: string; seq: number; state: Json; fp?: string }
  | { t: 'delta'; epoch: string; from: number; to: number; ops: unknown[]; fp?: string }
  | { t: 'gap'; epoch: string; seq: number };

/** Reads a stream message; throws when it is not an envelope. */
function readEnvelope(data: Uint8Array): Envelope {
  const v = JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>;
  const int = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
  if (typeof v !== 'object' || v === null || typeof v.epoch !== 'string') throw new Error('not an envelope');
  if (v.fp !== undefined && typeof v.fp !== 'string') throw new Error('bad fp');
  if (v.t === 'snapshot' && int(v.seq) && 'state' in v) return v as unknown as Envelope;
  if (v.t === 'delta' && int(v.from) && int(v.to) && Array.isArray(v.ops)) return v as unknown as Envelope;
  if (v.t === 'gap' && int(v.seq)) return v as unknown as Envelope;
  throw new Error('not an envelope');
}

const gunzipAsync = promisify(gunzip);
