import { HttpError } from './errors.js';

/** A place in the stream of states: the producer's epoch and a sequence number that only grows. */
export interface Position {
  readonly epoch: string;
  readonly seq: number;
}

const POSITION = /^([A-Za-z0-9_.-]{1,64}):(0|[1-9][0-9]{0,15})$/;

/** Reads `epoch:seq` (as in `since`, `Last-Event-ID` and ETags); throws a 400 HttpError naming `where`. */
export function parsePosition(text: string, where: string): Position {
  const m = POSITION.exec(text);
  const seq = m === null ? Number.NaN : Number(m[2]);
  if (m === null || !Number.isSafeInteger(seq)) {
    throw new HttpError(
      400,
      'BAD_POSITION',
      `${where} must be a position "epoch:seq" as sent in an envelope id or ETag (e.g. "3f9a1c2b:42"), got ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
  return { epoch: m[1] as string, seq };
}

/** `epoch:seq`. */
export function formatPosition(epoch: string, seq: number): string {
  return `${epoch}:${seq}`;
}
