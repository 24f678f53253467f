import { type Json, sealJson } from '@sys/core';
import { diffJson, type PatchOp, type SnapshotReason } from '@sys/diff-tracker';
import { HttpError } from './errors.js';
import { type GzipSegment, gzipSegment } from './gzip.js';
import { formatPosition, type Position } from './position.js';
import { projection, type ViewSpec, viewKey, whole } from './view.js';

/** Why a snapshot was sent: the change feed's reasons, plus a position no longer retained. */
export type ServerSnapshotReason = SnapshotReason | 'position_gone';

/** One envelope, built and serialized once, then written to every client at its position. */
export interface Prepared {
  readonly kind: 'snapshot' | 'delta';
  readonly epoch: string;
  /** The position a delta applies to (a snapshot: undefined). */
  readonly from: number | undefined;
  /** The position the client is at after it. */
  readonly to: number;
  readonly reason: ServerSnapshotReason | undefined;
  /** The envelope as compact JSON text. */
  readonly text: string;
  /** UTF-8 bytes of `text`, made on first use and shared by every client. */
  bytes(): Buffer;
  /** The SSE frame (`id`, `event`, `data`), made on first use and shared. */
  sseFrame(): Buffer;
  /** The SSE frame gzip-compressed once, as a segment any gzip client's stream can carry. */
  sseGzip(): GzipSegment;
}

/** A client following a view: told of each new envelope of the view, in order. */
export interface Subscriber {
  onEnvelope(envelope: Prepared): void;
}

/** Options of a StateHub. */
export interface StateHubOptions {
  /** The complete state now (the manager's `stateJson`). Omitted: a fed hub (see `initial` and `push`). */
  source?: (options: { debug: boolean }) => unknown;
  /** The producer's epoch now; a change means a new run, and every client gets a snapshot. */
  epoch?: () => string;
  /**
   * A fed hub's first position and plain state: it samples nothing and numbers nothing itself; `push` moves
   * it to positions numbered elsewhere (a replica keeps its publisher's numbers). It has no debug face.
   */
  initial?: { readonly epoch: string; readonly seq: number; readonly state: unknown };
  /** Most positions kept per face for resuming. Default 4096. */
  maxPositions?: number;
  /** Most bytes the kept positions may hold beyond the latest state, per face. Default 64 MiB. */
  maxHistoryBytes?: number;
  /** A view or the debug face with no client for this long is dropped. Default 60 s. */
  idleMs?: number;
  /** Wall clock (ms). */
  now?: () => number;
  /**
   * Fingerprint of a state, put in every envelope as `fp` when given. `previous` is the view's state before
   * (@sys/diff-tracker's `fingerprint` uses it to reuse the unchanged nodes' hashes; the result is the same).
   */
  fingerprint?: (state: Json, previous?: Json) => string;
}

interface Entry {
  readonly seq: number;
  readonly state: Json;
  /** Bytes the previous entry's state holds that this one does not share: the cost of keeping it. */
  displacedBytes: number;
}

/** The states of one face (plain or debug) at recent positions, bounded by count and by bytes. */
class FaceLog {
  readonly entries: Entry[] = [];
  /** The patch from the previous entry's state to the latest one (none for a face's first entry). */
  latestOps: readonly PatchOp[] | undefined;
  retainedBytes = 0;
  lastUsedMs: number;

  constructor(
    readonly debug: boolean,
    nowMs: number,
  ) {
    this.lastUsedMs = nowMs;
  }

  get latest(): Entry | undefined {
    return this.entries[this.entries.length - 1];
  }

  /** The state at `seq`, when that position is still kept. */
  stateAt(seq: number): Json | undefined {
    const e = this.entries;
    if (e.length === 0 || seq < (e[0] as Entry).seq) return undefined;
    let lo = 0;
    let hi = e.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((e[mid] as Entry).seq <= seq) lo = mid;
      else hi = mid - 1;
    }
    return (e[lo] as Entry).state;
  }

  push(entry: Entry, ops: readonly PatchOp[] | undefined, maxPositions: number, maxBytes: number): void {
    if (this.entries.length > 0) this.retainedBytes += entry.displacedBytes;
    this.latestOps = ops;
    this.entries.push(entry);
    while (this.entries.length > 1 && (this.entries.length > maxPositions || this.retainedBytes > maxBytes)) {
      this.entries.shift();
      const first = this.entries[0] as Entry;
      this.retainedBytes -= first.displacedBytes;
      first.displacedBytes = 0;
    }
  }

  clear(): void {
    this.entries.length = 0;
    this.latestOps = undefined;
    this.retainedBytes = 0;
  }
}

/** The clients that see the same projection of the same face, and what they were last sent. */
export class View {
  readonly key: string;
  readonly spec: ViewSpec;
  readonly project: (state: Json) => Json;
  readonly subscribers = new Set<Subscriber>();
  /** The position at which this view last changed, and its state there. */
  seq = 0;
  epoch = '';
  state: Json = null;
  fp: string | undefined;
  lastUsedMs: number;
  /** Envelopes from older positions to `seq`, built once for every client that needs them. */
  readonly catchups = new Map<string, Prepared>();
  stateText: string | undefined;
  readonly waiters = new Set<() => void>();

  constructor(spec: ViewSpec, nowMs: number) {
    this.key = viewKey(spec);
    this.spec = spec;
    this.project = projection(spec);
    this.lastUsedMs = nowMs;
  }

  /** The position clients of this view are at when up to date. */
  get position(): Position {
    return { epoch: this.epoch, seq: this.seq };
  }
}

/**
 * Samples the state, numbers its positions and keeps recent ones, so each client — SSE, WebSocket or a
 * poll — gets one envelope from where it is to now. A new position's delta is built and serialized once per
 * view (clients with the same filter share it); a client that was away gets one catch-up delta from the
 * kept history, or a snapshot with its reason when that position is gone or the delta would be larger.
 */
export class StateHub {
  readonly #source: StateHubOptions['source'];
  readonly #epochOf: (() => string) | undefined;
  readonly #maxPositions: number;
  readonly #maxBytes: number;
  readonly #idleMs: number;
  readonly #now: () => number;
  readonly #fingerprint: ((state: Json, previous?: Json) => string) | undefined;
  readonly #faces: [FaceLog, FaceLog | undefined];
  readonly #views = new Map<string, View>();
  #epoch: string;
  #seq = 0;

  constructor(options: StateHubOptions) {
    this.#source = options.source;
    this.#epochOf = options.epoch;
    const fed = options.initial;
    if ((this.#source === undefined || this.#epochOf === undefined) === (fed === undefined)) {
      throw new TypeError('StateHub needs either source and epoch, or initial (a fed hub)');
    }
    this.#maxPositions = options.maxPositions ?? 4096;
    this.#maxBytes = options.maxHistoryBytes ?? 64 * 1024 * 1024;
    this.#idleMs = options.idleMs ?? 60_000;
    this.#now = options.now ?? Date.now;
    this.#fingerprint = options.fingerprint;
    this.#epoch = fed?.epoch ?? (this.#epochOf as () => string)();
    this.#faces = [new FaceLog(false, this.#now()), undefined];
    if (fed === undefined) this.sample();
    else this.push(fed, fed.state);
  }

  /** Whether positions are pushed from elsewhere (`initial`) rather than sampled here. */
  get fed(): boolean {
    return this.#source === undefined;
  }

  /** The plain face's latest state. */
  get state(): Json {
    return (this.#faces[0].latest as Entry).state;
  }

  /** The latest position. */
  get position(): Position {
    return { epoch: this.#epoch, seq: this.#seq };
  }

  /** Views now held (for metrics and tests). */
  get viewCount(): number {
    return this.#views.size;
  }

  /** Bytes the kept positions hold beyond the latest states. */
  get retainedBytes(): number {
    return this.#faces[0].retainedBytes + (this.#faces[1]?.retainedBytes ?? 0);
  }

  /**
   * Reads the state now. When it changed, it becomes a new position, and every view it changed sends its
   * subscribers one delta (or, after a restart, a snapshot). Returns whether the position moved.
   */
  sample(): boolean {
    const source = this.#source;
    const epochOf = this.#epochOf;
    if (source === undefined || epochOf === undefined) {
      this.#sweep(this.#now());
      return false;
    }
    return this.#record(epochOf(), (face) => source({ debug: face.debug }), undefined);
  }

  /**
   * A fed hub: the plain state at a position numbered elsewhere. A position not after the latest one of the
   * same epoch is ignored; another epoch starts a new run (every client gets a snapshot). Returns whether
   * the state moved.
   */
  push(position: Position, state: unknown): boolean {
    if (this.#source !== undefined) throw new TypeError('push is for a fed hub (made with initial)');
    const first = this.#faces[0].latest === undefined;
    if (!first && position.epoch === this.#epoch && position.seq <= this.#seq) return false;
    return this.#record(position.epoch, () => state, position.seq);
  }

  #record(epoch: string, read: (face: FaceLog) => unknown, seq: number | undefined): boolean {
    const now = this.#now();
    const restarted = epoch !== this.#epoch;
    if (restarted) {
      this.#epoch = epoch;
      for (const f of this.#faces) f?.clear();
    }
    const changed: Array<{
      face: FaceLog;
      state: Json;
      displacedBytes: number;
      ops?: readonly PatchOp[];
    }> = [];
    for (const face of this.#faces) {
      if (face === undefined) continue;
      const current = read(face);
      const last = face.latest;
      if (last === undefined) {
        changed.push({ face, state: sealJson(current), displacedBytes: 0 });
        continue;
      }
      if (current === last.state) continue;
      const d = diffJson(last.state, current);
      if (d.ops.length === 0) continue;
      changed.push({ face, state: d.next, displacedBytes: d.displacedBytes, ops: d.ops });
    }
    if (seq !== undefined && (changed.length > 0 || restarted)) this.#seq = seq;
    if (changed.length > 0) {
      if (seq === undefined) this.#seq++;
      for (const c of changed) {
        c.face.push(
          { seq: this.#seq, state: c.state, displacedBytes: c.displacedBytes },
          c.ops,
          this.#maxPositions,
          this.#maxBytes,
        );
      }
      for (const view of this.#views.values()) {
        const face = this.#faces[view.spec.debug ? 1 : 0];
        if (face !== undefined && changed.some((c) => c.face === face)) this.#advance(view, face, restarted);
      }
    }
    this.#sweep(now);
    return changed.length > 0;
  }

  /** The view for `spec`, made (and its face started) on first use. */
  view(spec: ViewSpec): View {
    const key = viewKey(spec);
    const now = this.#now();
    let view = this.#views.get(key);
    if (view === undefined) {
      let face = this.#faces[spec.debug ? 1 : 0];
      if (face === undefined && this.fed) {
        throw new HttpError(
          400,
          'DEBUG_UNAVAILABLE',
          'this server is a replica of the plain face: ask the publisher for debug=1',
        );
      }
      if (face === undefined) {
        face = new FaceLog(true, now);
        this.#faces[1] = face;
        this.sample();
      }
      view = new View(spec, now);
      const latest = face.latest as Entry;
      view.epoch = this.#epoch;
      view.seq = latest.seq;
      view.state = view.project(latest.state);
      view.fp = this.#fingerprint?.(view.state);
      this.#views.set(key, view);
    }
    view.lastUsedMs = now;
    this.#faceOf(view).lastUsedMs = now;
    return view;
  }

  /** Adds a subscriber: it is told of every later envelope of the view. */
  attach(view: View, subscriber: Subscriber): void {
    view.subscribers.add(subscriber);
  }

  /** Removes a subscriber. */
  detach(view: View, subscriber: Subscriber): void {
    view.subscribers.delete(subscriber);
    view.lastUsedMs = this.#now();
  }

  /**
   * The one envelope that brings a client at `since` to the view's position: undefined when it is there
   * already; a snapshot (reason new_consumer) without a position; else a delta from the kept state at
   * `since`, or a snapshot when the epoch changed, the position is gone, or the delta would be larger.
   */
  catchup(view: View, since: Position | undefined, requested = false): Prepared | undefined {
    if (requested) return this.snapshot(view, 'requested');
    if (since === undefined) return this.snapshot(view, 'new_consumer');
    if (since.epoch !== this.#epoch || view.epoch !== this.#epoch)
      return this.snapshot(view, 'epoch_changed');
    if (since.seq === view.seq) return undefined;
    const key = String(since.seq);
    const memo = view.catchups.get(key);
    if (memo !== undefined) return memo;
    const old = since.seq > this.#seq ? undefined : this.#faceOf(view).stateAt(since.seq);
    let prepared: Prepared;
    if (old === undefined) {
      prepared = this.snapshot(view, 'position_gone');
    } else {
      const d = diffJson(view.project(old), view.state);
      prepared = makeDelta(view, since.seq, d.ops);
      if (prepared.text.length > this.stateText(view).length) prepared = this.snapshot(view, 'delta_larger');
    }
    view.catchups.set(key, prepared);
    return prepared;
  }

  /** A snapshot of the view now, with its reason (shared by every client sent it for the same reason). */
  snapshot(view: View, reason: ServerSnapshotReason): Prepared {
    const key = `snapshot:${reason}`;
    const memo = view.catchups.get(key);
    if (memo !== undefined) return memo;
    const fp = view.fp === undefined ? '' : `,"fp":${JSON.stringify(view.fp)}`;
    const text = `{"t":"snapshot","epoch":${JSON.stringify(view.epoch)},"seq":${view.seq},"reason":"${reason}"${fp},"state":${this.stateText(view)}}`;
    const prepared = prepare('snapshot', view.epoch, undefined, view.seq, reason, text);
    view.catchups.set(key, prepared);
    return prepared;
  }

  /** The view's state as JSON text, serialized once per position. */
  stateText(view: View): string {
    view.stateText ??= JSON.stringify(view.state);
    return view.stateText;
  }

  /**
   * Resolves when the view moves past `seq` (or its epoch changes), or after `timeoutMs`, or when `signal`
   * aborts — for long polls.
   */
  waitForChange(view: View, seq: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (view.seq !== seq || view.epoch !== this.#epoch || timeoutMs <= 0 || signal?.aborted === true) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        view.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      view.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Keeps a view in use (a long poll or a state read), so it is not dropped as idle. */
  touch(view: View): void {
    const now = this.#now();
    view.lastUsedMs = now;
    this.#faceOf(view).lastUsedMs = now;
  }

  #faceOf(view: View): FaceLog {
    return this.#faces[view.spec.debug ? 1 : 0] as FaceLog;
  }

  /** Moves a view to the face's new position and tells its subscribers. */
  #advance(view: View, face: FaceLog, restarted: boolean): void {
    const latest = face.latest as Entry;
    const next = view.project(latest.state);
    const prevSeq = view.seq;
    const stale = restarted || view.epoch !== this.#epoch;
    let ops: readonly PatchOp[] = [];
    if (!stale) {
      if (next === view.state) return;
      // A whole-face view that was at the face's previous entry moves by the face's own patch: the same
      // pair of states was just diffed in #record.
      const prior = face.entries[face.entries.length - 2];
      ops =
        view.project === whole && face.latestOps !== undefined && prior?.state === view.state
          ? face.latestOps
          : diffJson(view.state, next).ops;
      if (ops.length === 0) return;
    }
    const before = view.state;
    view.epoch = this.#epoch;
    view.seq = latest.seq;
    view.state = next;
    view.fp = this.#fingerprint?.(next, before);
    view.catchups.clear();
    view.stateText = undefined;
    const envelope = stale ? this.snapshot(view, 'epoch_changed') : makeDelta(view, prevSeq, ops);
    if (!stale) view.catchups.set(String(prevSeq), envelope);
    for (const s of view.subscribers) s.onEnvelope(envelope);
    for (const w of [...view.waiters]) w();
  }

  /** Drops views nobody used for a while, and the debug face's history when no view needs it. */
  #sweep(now: number): void {
    for (const [key, view] of this.#views) {
      if (view.subscribers.size === 0 && view.waiters.size === 0 && now - view.lastUsedMs > this.#idleMs) {
        this.#views.delete(key);
      }
    }
    const debug = this.#faces[1];
    if (debug !== undefined && now - debug.lastUsedMs > this.#idleMs) {
      const used = [...this.#views.values()].some((v) => v.spec.debug);
      if (!used) this.#faces[1] = undefined;
    }
  }
}

function makeDelta(view: View, from: number, ops: readonly PatchOp[]): Prepared {
  const fp = view.fp === undefined ? '' : `,"fp":${JSON.stringify(view.fp)}`;
  const text = `{"t":"delta","epoch":${JSON.stringify(view.epoch)},"from":${from},"to":${view.seq}${fp},"ops":${JSON.stringify(ops)}}`;
  return prepare('delta', view.epoch, from, view.seq, undefined, text);
}

function prepare(
  kind: 'snapshot' | 'delta',
  epoch: string,
  from: number | undefined,
  to: number,
  reason: ServerSnapshotReason | undefined,
  text: string,
): Prepared {
  let bytes: Buffer | undefined;
  let frame: Buffer | undefined;
  let gzipped: GzipSegment | undefined;
  return {
    kind,
    epoch,
    from,
    to,
    reason,
    text,
    bytes() {
      bytes ??= Buffer.from(text, 'utf8');
      return bytes;
    },
    sseFrame() {
      frame ??= Buffer.from(`id: ${formatPosition(epoch, to)}\nevent: ${kind}\ndata: ${text}\n\n`, 'utf8');
      return frame;
    },
    sseGzip() {
      gzipped ??= gzipSegment(this.sseFrame());
      return gzipped;
    },
  };
}
