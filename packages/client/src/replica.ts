import { isPlainObject, type Json, sealParsed } from '@sys/core';
import { applyPatch, fingerprint } from '@sys/diff-tracker';

/** Why the client dropped its position and asked for a snapshot. */
export type ResyncReason =
  | 'gap'
  | 'apply_failed'
  | 'fingerprint_mismatch'
  | 'bad_envelope'
  | 'epoch_changed'
  | 'requested';

/** An envelope as the server sends it (the shapes of @sys/diff-tracker's ChangeFeed). */
export type WireEnvelope =
  | {
      readonly t: 'snapshot';
      readonly epoch: string;
      readonly seq: number;
      readonly reason: string;
      readonly state: Json;
      readonly fp?: string;
    }
  | {
      readonly t: 'delta';
      readonly epoch: string;
      readonly from: number;
      readonly to: number;
      readonly ops: readonly Json[];
      readonly fp?: string;
    };

/** What applying one envelope to the copy did. */
export type ApplyOutcome =
  /** The copy moved to the envelope's position. */
  | { readonly kind: 'applied'; readonly state: Json; readonly changedPaths: readonly string[] }
  /** Nothing to do: an empty delta at the position held, or one the copy is already past (a duplicate). */
  | { readonly kind: 'ignored'; readonly duplicate: boolean }
  /** The copy is kept as it was; only a snapshot can bring it back. */
  | { readonly kind: 'resync'; readonly reason: ResyncReason; readonly detail: string };

/**
 * The client's copy of the state and its position. Every node is frozen, so a delta copies only the
 * containers on its paths (untouched subtrees keep their identity) and the fingerprint re-hashes only those.
 * Applying is atomic: on any failure the copy and position stay as they were. It takes ownership of the
 * envelopes it is given (their state and op values become part of the copy, frozen): pass parsed JSON.
 */
export class Replica {
  #state: Json = null;
  #epoch: string | undefined;
  #seq = 0;

  /** The copy now (null before the first snapshot). */
  get state(): Json {
    return this.#state;
  }

  /** `epoch:seq` of the copy, or undefined when it has none (before a snapshot, or after a reset). */
  get position(): string | undefined {
    return this.#epoch === undefined ? undefined : `${this.#epoch}:${this.#seq}`;
  }

  /** Forgets the position (the copy stays readable) so that only a snapshot is accepted next. */
  reset(): void {
    this.#epoch = undefined;
  }

  /** Applies one parsed envelope. Never throws: every failure is an outcome. */
  apply(raw: unknown): ApplyOutcome {
    const envelope = checkEnvelope(raw);
    if (typeof envelope === 'string') return { kind: 'resync', reason: 'bad_envelope', detail: envelope };
    if (envelope.t === 'snapshot') {
      // Parsed JSON the replica now owns: sealed in place (frozen, no copy), so deltas keep untouched nodes.
      const next = sealParsed(envelope.state);
      const mismatch = checkFingerprint(next, envelope.fp, undefined);
      if (mismatch !== undefined) return mismatch;
      this.#state = next;
      this.#epoch = envelope.epoch;
      this.#seq = envelope.seq;
      return { kind: 'applied', state: next, changedPaths: [''] };
    }
    if (this.#epoch === undefined) {
      // Waiting for a snapshot: a delta from before the resync means nothing now.
      return { kind: 'ignored', duplicate: false };
    }
    if (envelope.epoch !== this.#epoch) {
      return {
        kind: 'resync',
        reason: 'epoch_changed',
        detail: `delta of epoch ${envelope.epoch} on a copy of epoch ${this.#epoch}`,
      };
    }
    if (envelope.to <= this.#seq && envelope.from <= this.#seq) {
      return { kind: 'ignored', duplicate: envelope.to < this.#seq || envelope.ops.length > 0 };
    }
    if (envelope.from !== this.#seq) {
      return {
        kind: 'resync',
        reason: 'gap',
        detail: `delta ${envelope.from}→${envelope.to} on a copy at ${this.#seq}`,
      };
    }
    let next: Json;
    try {
      next = applyPatch(this.#state, envelope.ops, { freeze: true });
    } catch (e) {
      return { kind: 'resync', reason: 'apply_failed', detail: message(e) };
    }
    const mismatch = checkFingerprint(next, envelope.fp, this.#state);
    if (mismatch !== undefined) return mismatch;
    this.#state = next;
    this.#seq = envelope.to;
    return { kind: 'applied', state: next, changedPaths: opPaths(envelope.ops) };
  }
}

function checkFingerprint(
  state: Json,
  fp: string | undefined,
  previous: Json | undefined,
): ApplyOutcome | undefined {
  if (fp === undefined) return undefined;
  const mine = fingerprint(state, previous);
  if (mine === fp) return undefined;
  return {
    kind: 'resync',
    reason: 'fingerprint_mismatch',
    detail: `copy fingerprint ${mine}, envelope says ${fp}`,
  };
}

/** The envelope typed, or why it is not one. */
function checkEnvelope(raw: unknown): WireEnvelope | string {
  if (!isPlainObject(raw)) return 'an envelope must be a JSON object';
  const e = raw as Record<string, unknown>;
  if (typeof e.epoch !== 'string') return '"epoch" must be a string';
  if (e.fp !== undefined && typeof e.fp !== 'string') return '"fp" must be a string';
  if (e.t === 'snapshot') {
    if (!isSeq(e.seq)) return 'snapshot "seq" must be a non-negative integer';
    if (!('state' in e)) return 'snapshot has no "state"';
    return raw as WireEnvelope;
  }
  if (e.t === 'delta') {
    if (!isSeq(e.from) || !isSeq(e.to)) return 'delta "from" and "to" must be non-negative integers';
    if (!Array.isArray(e.ops)) return 'delta "ops" must be an array';
    return raw as WireEnvelope;
  }
  return `unknown envelope type ${JSON.stringify(e.t)}`;
}

function isSeq(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** The pointers a delta wrote (`path`, and `from` of a move), once each, in op order. */
function opPaths(ops: readonly Json[]): string[] {
  const seen = new Set<string>();
  for (const op of ops) {
    const o = op as { path?: unknown; from?: unknown; op?: unknown };
    if (o.op === 'test') continue;
    if (typeof o.path === 'string') seen.add(o.path);
    if (o.op === 'move' && typeof o.from === 'string') seen.add(o.from);
  }
  return [...seen];
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
