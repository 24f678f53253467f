import { readFile } from 'node:fs/promises';
import { type Json, sealParsed } from '@sys/core';

/** The `format` a checkpoint file carries; any other is not read. */
export const CHECKPOINT_FORMAT = 'sys-nats-checkpoint/1';

/** A follower's position and copy as written to its checkpoint file. */
export interface Checkpoint {
  readonly format: typeof CHECKPOINT_FORMAT;
  /** The run followed. */
  readonly run: string;
  readonly epoch: string;
  readonly seq: number;
  /** JetStream sequence of the last message applied: the follower resumes at the one after it. */
  readonly streamSeq: number;
  /** Fingerprint of `state`, checked before the file is used. */
  readonly fp: string;
  readonly state: Json;
}

/** Why a checkpoint file was not used (the follower loaded the snapshot instead). */
export type CheckpointRejection =
  | 'missing'
  | 'other_run'
  | 'corrupt'
  | 'fingerprint'
  | 'not_retained'
  /** The stream's message at the checkpoint's `streamSeq` is of another position: the stream was made again. */
  | 'stream_changed';

/** What reading a checkpoint file found: one to resume from, or why not. */
export type CheckpointRead =
  | { readonly ok: true; readonly checkpoint: Checkpoint }
  | { readonly ok: false; readonly reason: CheckpointRejection; readonly detail: string };

/**
 * Reads and checks a checkpoint file for run `run`: it must parse, have this format and run, and its `fp`
 * must equal `fingerprint(state)`. Never throws: an unreadable or broken file is a rejection.
 */
export async function readCheckpoint(
  file: string,
  run: string,
  fingerprint: (state: Json) => string,
): Promise<CheckpointRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, reason: 'missing', detail: `no file ${file}` };
    return { ok: false, reason: 'corrupt', detail: `cannot read ${file}: ${(error as Error).message}` };
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: 'corrupt', detail: `${file} is not JSON (${(error as Error).message})` };
  }
  const c = v as Partial<Record<keyof Checkpoint, unknown>>;
  const count = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
  if (
    typeof v !== 'object' ||
    v === null ||
    c.format !== CHECKPOINT_FORMAT ||
    typeof c.run !== 'string' ||
    typeof c.epoch !== 'string' ||
    !count(c.seq) ||
    !count(c.streamSeq) ||
    typeof c.fp !== 'string' ||
    !('state' in c)
  ) {
    return { ok: false, reason: 'corrupt', detail: `${file} is not a ${CHECKPOINT_FORMAT} checkpoint` };
  }
  if (c.run !== run) {
    return {
      ok: false,
      reason: 'other_run',
      detail: `${file} is of run ${JSON.stringify(c.run)}, not ${JSON.stringify(run)}`,
    };
  }
  // Fresh from the parse and ours alone: frozen in place, like a loaded snapshot, so the hub keeps it
  // without a copy and fingerprints of later positions reuse its cached hashes.
  sealParsed(c.state as Json);
  const actual = fingerprint(c.state as Json);
  if (actual !== c.fp) {
    return {
      ok: false,
      reason: 'fingerprint',
      detail: `the state in ${file} has fingerprint ${actual}, the file says ${c.fp}`,
    };
  }
  return { ok: true, checkpoint: c as Checkpoint };
}
