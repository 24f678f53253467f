import { type Json, type Serializable, SysError, sealJson, type ToJsonOptions } from '@sys/core';
import { buildJson, type DiffMeasure, type JsonDiff, measureJson, type PatchOp } from './diff.js';
import { fingerprint } from './fingerprint.js';
import { jsonByteSize } from './json.js';

/** Why a consumer was sent a snapshot instead of a delta. */
export type SnapshotReason = 'new_consumer' | 'requested' | 'memory_bound' | 'epoch_changed' | 'delta_larger';

/** A complete state: the consumer replaces what it has. */
export interface SnapshotEnvelope {
  readonly t: 'snapshot';
  readonly epoch: string;
  readonly seq: number;
  readonly reason: SnapshotReason;
  readonly state: Json;
  /** Fingerprint of `state` (docs/json-api.md, "Fingerprint"); ChangeFeed always sets it. */
  readonly fp?: string;
}

/** The change from `from` to `to`: apply `ops` (RFC 6902) to the state the consumer holds at `from`. */
export interface DeltaEnvelope {
  readonly t: 'delta';
  readonly epoch: string;
  readonly from: number;
  readonly to: number;
  readonly ops: readonly PatchOp[];
  /** Fingerprint of the state after applying `ops`; ChangeFeed always sets it. */
  readonly fp?: string;
}

/** What a consumer receives, numbered. */
export type Envelope = SnapshotEnvelope | DeltaEnvelope;

/** One read: the envelope for the wire plus the plan's partial-object face of the same change. */
export interface FeedRead {
  readonly envelope: Envelope;
  /** RFC 6901 pointers of added or replaced values (`['']` for a snapshot). */
  readonly changedPaths: readonly string[];
  /** RFC 6901 pointers of removed values. */
  readonly removedPaths: readonly string[];
  /** Only the changed keys (the whole state for a snapshot, `{}` when nothing changed). */
  readonly view: Json;
  /** Compact JSON size of the envelope in bytes. */
  readonly sizeBytes: number;
}

/** Counters for one consumer. */
export interface ConsumerStats {
  readonly reads: number;
  /** Sequence numbers the consumer was behind at its last read (`to - from`). */
  readonly lastSeqLag: number;
  /** Sequence numbers it is behind now. */
  readonly seqLag: number;
  readonly bytesSent: number;
  readonly deltasSent: number;
  readonly snapshotsSent: Readonly<Record<SnapshotReason, number>>;
  /** Estimated bytes its snapshot holds that the latest state no longer shares. */
  readonly retainedBytes: number;
  readonly debug: boolean;
}

/** Options of a ChangeFeed. */
export interface ChangeFeedOptions {
  /** Identifies this run of the producer; default a random id. */
  epoch?: string;
  /**
   * Most bytes an idle consumer's snapshot may hold beyond what the latest state shares (an estimate from
   * what changed since it read). Past it the snapshot is dropped and the consumer's next read is a
   * snapshot with reason `memory_bound`. Default 8 MiB.
   */
  maxRetainedBytesPerConsumer?: number;
  /** Most consumers kept; the one that read least recently is forgotten past it. Default 10,000. */
  maxConsumers?: number;
}

/** Options of one read. */
export interface ReadOptions {
  /** Send the complete state and reset this consumer's position to it. */
  complete?: boolean;
  /** Read the debug face of the state (passed to the source's toJson). */
  debug?: boolean;
}

interface Face {
  state: Json | undefined;
  seq: number;
  /** Fingerprint of `state`, computed on the first envelope at this position. */
  fp: string | undefined;
  /** The last state of this face whose fingerprint was computed (it makes the next one cheaper). */
  hashed: Json | undefined;
  /** Running total of displaced bytes on this face, for the retained-memory estimate. */
  displacedTotal: number;
  /** The last delta computed to the current state, keyed by the state it started from (fan-out reuse). */
  memo: Map<Json, Catchup>;
  /** Size of a snapshot of this face when last measured (a snapshot sent, or a large delta checked). */
  knownSizeBytes: number;
  /**
   * The last delta measured on this face was larger than the snapshot. The next is then only measured at
   * first, and built if it turns out smaller; otherwise it is built in the same walk that measures it.
   * Either way gives the same delta: this only guesses which costs less.
   */
  lastLarger: boolean;
}

/**
 * One delta from a past state to the current one, measured once and shared by every consumer that held
 * it. Its ops are built only when a consumer is sent it: a delta larger than the snapshot never is.
 */
interface Catchup {
  from: Json;
  envelopeHead: Omit<DeltaEnvelope, 'ops'>;
  sizeBytes: number;
  /** The delta is larger than a snapshot would be. */
  larger: boolean;
  /** What the state at `from` holds that the current state does not share: a consumer there keeps it alive. */
  displacedBytes: number;
  /** Built on first use. */
  diff: JsonDiff | undefined;
  envelope: DeltaEnvelope | undefined;
}

interface Consumer {
  name: string;
  debug: boolean;
  snapshot: Json | undefined;
  seq: number;
  epoch: string;
  pendingReason: SnapshotReason | undefined;
  displacedAtRead: number;
  reads: number;
  lastSeqLag: number;
  bytesSent: number;
  deltasSent: number;
  snapshotsSent: Record<SnapshotReason, number>;
}

/** A source: a Serializable or a function giving the complete state. */
export type StateSource = Serializable | ((options: ToJsonOptions) => unknown);

/** Thrown for a consumer name that is not a non-empty string. */
export class ConsumerNameError extends SysError {
  constructor(name: unknown) {
    super('CONSUMER_NAME', `consumer name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
}

/**
 * Many named consumers over one state, each with its own position. A read samples the source, and the
 * consumer gets one envelope: a snapshot (first read, on request, after a restart, past the memory bound,
 * or when the delta would be larger) or one delta from its position to now — never a pile of intermediate
 * changes. A consumer's read never changes what another receives.
 */
export class ChangeFeed {
  readonly #source: (options: ToJsonOptions) => unknown;
  readonly #maxRetained: number;
  readonly #maxConsumers: number;
  readonly #consumers = new Map<string, Consumer>();
  readonly #faces: [Face, Face] = [newFace(), newFace()];
  #epoch: string;
  #seq = 0;

  constructor(source: StateSource, options: ChangeFeedOptions = {}) {
    this.#source = typeof source === 'function' ? source : (o) => source.toJson(o);
    this.#epoch = options.epoch ?? newEpoch();
    this.#maxRetained = options.maxRetainedBytesPerConsumer ?? 8 * 1024 * 1024;
    this.#maxConsumers = options.maxConsumers ?? 10_000;
  }

  /** The id of this run of the producer. */
  get epoch(): string {
    return this.#epoch;
  }

  /** The latest sequence number handed out. */
  get seq(): number {
    return this.#seq;
  }

  /** Names of the consumers known now. */
  consumerNames(): string[] {
    return [...this.#consumers.keys()];
  }

  /** Reads for `consumer` (created on first use) and advances its position to now. */
  read(consumer: string, options: ReadOptions = {}): FeedRead {
    if (typeof consumer !== 'string' || consumer === '') throw new ConsumerNameError(consumer);
    const debug = options.debug === true;
    const face = this.#sample(debug);
    const state = face.state as Json;
    let c = this.#consumers.get(consumer);
    if (c === undefined) {
      c = this.#newConsumer(consumer, debug);
    } else {
      // Re-insert so Map order is least recently read first (eviction takes the front).
      this.#consumers.delete(consumer);
      this.#consumers.set(consumer, c);
    }
    let reason: SnapshotReason | undefined = c.pendingReason;
    if (reason === undefined && c.epoch !== this.#epoch) reason = 'epoch_changed';
    if (reason === undefined && (options.complete === true || c.debug !== debug)) reason = 'requested';
    if (reason === undefined && c.snapshot === undefined) reason = 'new_consumer';

    let result: FeedRead | undefined;
    if (reason === undefined) {
      const catchup = this.#memoCatchup(face, c.seq, c.snapshot as Json, state);
      if (catchup.larger) {
        reason = 'delta_larger';
      } else {
        const { diff, envelope } = built(catchup, state, faceFingerprint(face));
        result = {
          envelope,
          changedPaths: diff.changedPaths,
          removedPaths: diff.removedPaths,
          view: diff.view,
          sizeBytes: catchup.sizeBytes,
        };
        c.deltasSent++;
      }
    }
    if (result === undefined) {
      const r = reason ?? 'requested';
      const envelope: SnapshotEnvelope = {
        t: 'snapshot',
        epoch: this.#epoch,
        seq: face.seq,
        reason: r,
        state,
        fp: faceFingerprint(face),
      };
      const sizeBytes = snapshotSize(this.#epoch, face.seq, state, r);
      face.knownSizeBytes = sizeBytes;
      result = { envelope, changedPaths: [''], removedPaths: [], view: state, sizeBytes };
      c.snapshotsSent[r]++;
    }
    c.lastSeqLag = face.seq - c.seq;
    c.reads++;
    c.bytesSent += result.sizeBytes;
    c.snapshot = state;
    c.seq = face.seq;
    c.epoch = this.#epoch;
    c.debug = debug;
    c.pendingReason = undefined;
    c.displacedAtRead = face.displacedTotal;
    return result;
  }

  /** Forgets a consumer; its next read starts over with a snapshot. Returns whether it existed. */
  release(consumer: string): boolean {
    return this.#consumers.delete(consumer);
  }

  /** Marks a restart of the producer: a new epoch, and every consumer's next read is a snapshot. */
  restart(epoch: string = newEpoch()): void {
    this.#epoch = epoch;
    for (const face of this.#faces) {
      face.state = undefined;
      face.fp = undefined;
      face.hashed = undefined;
      face.memo.clear();
    }
    for (const c of this.#consumers.values()) {
      c.snapshot = undefined;
      c.pendingReason = 'epoch_changed';
    }
  }

  /** Counters for one consumer, or undefined when it is not known. */
  stats(consumer: string): ConsumerStats | undefined {
    const c = this.#consumers.get(consumer);
    if (c === undefined) return undefined;
    const face = this.#faces[c.debug ? 1 : 0];
    return {
      reads: c.reads,
      lastSeqLag: c.lastSeqLag,
      seqLag: this.#seq - c.seq,
      bytesSent: c.bytesSent,
      deltasSent: c.deltasSent,
      snapshotsSent: { ...c.snapshotsSent },
      retainedBytes: this.#retained(face, c),
      debug: c.debug,
    };
  }

  #sample(debug: boolean): Face {
    const face = this.#faces[debug ? 1 : 0];
    const current = this.#source({ debug });
    if (face.state === undefined) {
      face.state = sealJson(current);
      face.seq = ++this.#seq;
      face.fp = undefined;
      face.memo.clear();
      return face;
    }
    if (current === face.state) return face;
    const diff = measureJson(face.state, current, !face.lastLarger);
    if (diff.opCount === 0) {
      // Same content, maybe new objects: keep the shared state so consumers' snapshots stay identical.
      return face;
    }
    const from = face.state;
    const previousSeq = face.seq;
    face.state = diff.next;
    face.seq = ++this.#seq;
    face.fp = undefined;
    face.displacedTotal += diff.displacedBytes;
    face.memo.clear();
    face.memo.set(from, this.#catchup(face, previousSeq, from, diff));
    this.#enforceMemoryBound(face, debug);
    return face;
  }

  #catchup(face: Face, fromSeq: number, from: Json, diff: DiffMeasure): Catchup {
    const state = face.state as Json;
    const envelopeHead = { t: 'delta', epoch: this.#epoch, from: fromSeq, to: face.seq } as const;
    const sizeBytes = deltaSize(envelopeHead, diff.patchBytes);
    // A delta under a quarter of the last known snapshot size is smaller than the snapshot unless the
    // state shrank fourfold in one step, so only a large delta is compared exactly. The state's size is
    // then usually known already: measuring the change derived it from the old state's.
    let larger = false;
    if (diff.opCount > 0 && sizeBytes * 4 > face.knownSizeBytes) {
      face.knownSizeBytes = snapshotSize(this.#epoch, face.seq, state);
      larger = sizeBytes > face.knownSizeBytes;
    }
    if (diff.opCount > 0) face.lastLarger = larger;
    return {
      from,
      envelopeHead,
      sizeBytes,
      larger,
      displacedBytes: diff.displacedBytes,
      diff: diff.diff,
      envelope: undefined,
    };
  }

  /**
   * Bytes a consumer's snapshot holds that the latest state no longer shares: what diffing its snapshot
   * against the latest state displaces. Shared with its next read (the same catch-up, memoized per
   * snapshot), so measuring costs what changed since it read, once per position it is at.
   */
  #retained(face: Face, c: Consumer): number {
    const from = c.snapshot;
    const state = face.state;
    if (from === undefined || state === undefined || from === state) return 0;
    return this.#memoCatchup(face, c.seq, from, state).displacedBytes;
  }

  /** The catch-up from a snapshot (at `fromSeq`) to `state`, the face's latest: memoized, made on a miss. */
  #memoCatchup(face: Face, fromSeq: number, from: Json, state: Json): Catchup {
    let catchup = face.memo.get(from);
    if (catchup === undefined) {
      catchup = this.#catchup(face, fromSeq, from, measureJson(from, state, !face.lastLarger));
      face.memo.set(from, catchup);
    }
    return catchup;
  }

  /**
   * Drops the snapshot of a consumer that holds more than the bound. The running total of bytes displaced
   * since it read is an upper bound (a node replaced twice counts twice though the consumer holds only
   * the first), so only a consumer over the bound by that count is measured exactly; one under it by the
   * exact measure keeps its snapshot, and its running count starts again from the exact figure.
   */
  #enforceMemoryBound(face: Face, debug: boolean): void {
    for (const c of this.#consumers.values()) {
      if (c.debug !== debug || c.snapshot === undefined) continue;
      if (face.displacedTotal - c.displacedAtRead <= this.#maxRetained) continue;
      const exact = this.#retained(face, c);
      if (exact > this.#maxRetained) {
        c.snapshot = undefined;
        c.pendingReason = 'memory_bound';
      } else {
        c.displacedAtRead = face.displacedTotal - exact;
      }
    }
  }

  #newConsumer(name: string, debug: boolean): Consumer {
    if (this.#consumers.size >= this.#maxConsumers) {
      const oldest = this.#consumers.keys().next();
      if (!oldest.done) this.#consumers.delete(oldest.value);
    }
    const c: Consumer = {
      name,
      debug,
      snapshot: undefined,
      seq: 0,
      epoch: this.#epoch,
      pendingReason: undefined,
      displacedAtRead: 0,
      reads: 0,
      lastSeqLag: 0,
      bytesSent: 0,
      deltasSent: 0,
      snapshotsSent: { new_consumer: 0, requested: 0, memory_bound: 0, epoch_changed: 0, delta_larger: 0 },
    };
    this.#consumers.set(name, c);
    return c;
  }
}

function newFace(): Face {
  return {
    state: undefined,
    seq: 0,
    fp: undefined,
    hashed: undefined,
    displacedTotal: 0,
    memo: new Map(),
    knownSizeBytes: 0,
    lastLarger: false,
  };
}

/**
 * The delta's ops and envelope, built the first time a consumer is sent it. Both states are sealed and the
 * new one shares every unchanged node, so this walks only what changed, and gives the ops that diffing the
 * producer's value gave when it was measured.
 */
function built(catchup: Catchup, state: Json, fp: string): { diff: JsonDiff; envelope: DeltaEnvelope } {
  catchup.diff ??= buildJson(catchup.from, state);
  const diff = catchup.diff;
  catchup.envelope ??= Object.freeze({ ...catchup.envelopeHead, ops: diff.ops, fp });
  return { diff, envelope: catchup.envelope };
}

/** Any fingerprint: 16 hex digits, so an envelope's size is known before its fingerprint is. */
const FP_SHAPE = '0000000000000000';

/** The fingerprint of a face's state, computed once per position (it costs the nodes that changed). */
function faceFingerprint(face: Face): string {
  if (face.fp === undefined) {
    const state = face.state as Json;
    face.fp = face.hashed === undefined ? fingerprint(state) : fingerprint(state, face.hashed);
    face.hashed = state;
  }
  return face.fp;
}

/** A short random id for a run (Web Crypto: the same in Node 20 and browsers, so no node: import). */
function newEpoch(): string {
  return globalThis.crypto.randomUUID().slice(0, 8);
}

/** Exact compact JSON size of a delta envelope whose ops take `patchBytes`. */
function deltaSize(head: Omit<DeltaEnvelope, 'ops'>, patchBytes: number): number {
  const text: Json = { t: 'delta', epoch: head.epoch, from: head.from, to: head.to, ops: null, fp: FP_SHAPE };
  return jsonByteSize(text) - 4 + patchBytes;
}

/** Exact compact JSON size of a snapshot envelope, from the cached size of the frozen state. */
function snapshotSize(
  epoch: string,
  seq: number,
  state: Json,
  reason: SnapshotReason = 'delta_larger',
): number {
  const head: Json = { t: 'snapshot', epoch, seq, reason, state: null, fp: FP_SHAPE };
  return jsonByteSize(head) - 4 + jsonByteSize(state);
}
