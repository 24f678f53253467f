import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { runNames, SNAPSHOT_OBJECT } from './names.js';

/** One run as `sys nats status` shows it. */
export interface RunStatus {
  readonly run: string;
  readonly stream: {
    readonly name: string;
    readonly messages: number;
    readonly bytes: number;
    readonly firstSeq: number;
    readonly lastSeq: number;
    readonly maxAgeMs: number;
    readonly maxBytes: number;
  };
  /** The object store's latest snapshot: its position and size. */
  readonly snapshot: { readonly position: string; readonly sizeBytes: number } | null;
  /** The publisher's last report (position, outbox, gaps…), with its age. */
  readonly publisher: (Record<string, unknown> & { readonly ageMs: number }) | null;
  /** Each follower's last report, with lag behind the publisher in positions and in stream messages. */
  readonly followers: ReadonlyArray<{
    readonly id: string;
    readonly position: string;
    readonly lagSeq: number | null;
    readonly lagMessages: number;
    readonly resyncs: number;
    readonly corrupt: number;
    /** Where it started: its checkpoint file or the store's snapshot. */
    readonly resumedFrom: string;
    /** Checkpoint writes that failed (disk full, read-only directory). */
    readonly checkpointErrors: number;
    readonly ageMs: number;
  }>;
}

/** The runs on a NATS server (streams `sys_*`), or just `run`: streams, last seq, lag per follower. */
export async function natsStatus(nc: NatsConnection, run?: string, nowMs = Date.now()): Promise<RunStatus[]> {
  const jsm = await jetstreamManager(nc);
  const runs: string[] = [];
  if (run !== undefined) runs.push(runNames(run).run);
  else for await (const name of jsm.streams.names()) if (name.startsWith('sys_')) runs.push(name.slice(4));
  const out: RunStatus[] = [];
  for (const r of runs.sort()) {
    const names = runNames(r);
    const info = await jsm.streams.info(names.stream).catch(() => undefined);
    if (info === undefined) continue;
    const lastSeq = info.state.last_seq;
    let snapshot: RunStatus['snapshot'] = null;
    const os = await new Objm(nc).open(names.snapshots).catch(() => undefined);
    const o = await os?.info(SNAPSHOT_OBJECT).catch(() => null);
    if (o !== undefined && o !== null) snapshot = { position: o.description ?? '', sizeBytes: o.size };
    let publisher: RunStatus['publisher'] = null;
    const followers: Array<RunStatus['followers'][number]> = [];
    const kv = await new Kvm(nc).open(names.status).catch(() => undefined);
    if (kv !== undefined) {
      const keys: string[] = [];
      for await (const k of await kv.keys()) keys.push(k);
      const pub = await kv.get('publisher').catch(() => null);
      const p = pub?.value.length ? (JSON.parse(pub.string()) as Record<string, unknown>) : undefined;
      if (p !== undefined) publisher = { ...p, ageMs: nowMs - Number(p.updatedMs) };
      const [pubEpoch, pubSeq] = String(p?.position ?? ':').split(':');
      // A key written while the listing runs can be listed twice (the listing follows the bucket's stream).
      for (const k of [...new Set(keys)].filter((k) => k.startsWith('follower.')).sort()) {
        const e = await kv.get(k).catch(() => null);
        if (e === null || e.value.length === 0) continue;
        const f = JSON.parse(e.string()) as Record<string, unknown>;
        const [epoch, seq] = String(f.position).split(':');
        followers.push({
          id: k.slice('follower.'.length),
          position: String(f.position),
          lagSeq: epoch === pubEpoch ? Number(pubSeq) - Number(seq) : null,
          lagMessages: lastSeq - Number(f.streamSeq),
          resyncs: Number(f.resyncs),
          corrupt: Number(f.corrupt),
          resumedFrom: String(f.resumedFrom ?? 'snapshot'),
          checkpointErrors: Number(f.checkpointErrors ?? 0),
          ageMs: nowMs - Number(f.updatedMs),
        });
      }
    }
    out.push({
      run: r,
      stream: {
        name: names.stream,
        messages: info.state.messages,
        bytes: info.state.bytes,
        firstSeq: info.state.first_seq,
        lastSeq,
        maxAgeMs: Math.round(info.config.max_age / 1_000_000),
        maxBytes: info.config.max_bytes,
      },
      snapshot,
      publisher,
      followers,
    });
  }
  return out;
}
