/**
 * `@sys/server/testing`: a copy of a server's state kept with fast-json-patch (an RFC 6902 applier nobody
 * here wrote), for tests that check what the server sends against what a client that is not ours makes of it.
 */
import jsonpatch from 'fast-json-patch';

/** An envelope as a client receives it on the wire. */
export interface WireEnvelope {
  t: 'snapshot' | 'delta' | 'shutdown' | 'closing';
  epoch: string;
  seq?: number;
  from?: number;
  to?: number;
  reason?: string;
  state?: unknown;
  ops?: jsonpatch.Operation[];
}

/**
 * A copy of the state kept by applying envelopes in order with fast-json-patch. A delta that does not
 * start where the copy is goes to `onGap` (which throws; a subclass may record it instead) and is skipped.
 */
export class JsonPatchCopy {
  /** The copy (undefined before the first snapshot). */
  state: unknown = undefined;
  /** The epoch of the copy's position. */
  epoch: string | undefined;
  /** The sequence number of the copy's position. */
  seq: number | undefined;
  /** Every envelope applied (or skipped), in order. */
  readonly received: WireEnvelope[] = [];

  /** Applies one envelope: a snapshot replaces the copy, a delta patches it; others are only recorded. */
  apply(e: WireEnvelope): void {
    this.received.push(e);
    if (e.t === 'snapshot') {
      this.state = e.state;
      this.epoch = e.epoch;
      this.seq = e.seq;
    } else if (e.t === 'delta') {
      if (e.epoch !== this.epoch || e.from !== this.seq) {
        this.onGap(`delta ${e.epoch}:${e.from}→${e.to} does not start at the copy's ${this.position}`);
        return;
      }
      this.state = jsonpatch.applyPatch(this.state, e.ops ?? [], true, false).newDocument;
      this.seq = e.to;
    }
  }

  /** `epoch:seq` of the copy. */
  get position(): string {
    return `${this.epoch}:${this.seq}`;
  }

  /** Called with a description of a delta that does not start at the copy's position; throws it. */
  protected onGap(detail: string): void {
    throw new Error(detail);
  }
}
