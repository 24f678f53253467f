import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Bar } from './bar.js';
import { LiveFeedError } from './errors.js';
import { barFromJsonLine } from './ndjson-reader.js';

/** Counts of an NDJSON live source: lines read, bars given, lines skipped as malformed. */
export interface NdjsonFeedStatus {
  readonly source: string;
  lines: number;
  bars: number;
  malformed: number;
  lastMalformed: string | null;
}

/**
 * Bars of NDJSON bytes for a live session, one batch per chunk read (one await per chunk, not per bar):
 * each line is read on its own (`barFromJsonLine`); a line that is not a bar is counted in `status` and
 * skipped, never the end of the feed. Lines end with `\n` or `\r\n`; a last line without one is read too.
 * Order and repeats are the live run's to judge.
 */
export async function* ndjsonBatches(
  chunks: AsyncIterable<Buffer | string>,
  status: NdjsonFeedStatus,
): AsyncGenerator<Bar[]> {
  let rest = '';
  const take = (line: string, out: Bar[]): void => {
    status.lines++;
    if (line.trim() === '') return;
    try {
      out.push(barFromJsonLine(line, `${status.source}:${status.lines}`));
      status.bars++;
    } catch (e) {
      status.malformed++;
      status.lastMalformed = (e as Error).message;
    }
  };
  for await (const chunk of chunks) {
    const text = rest + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    const out: Bar[] = [];
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      take(text.slice(start, end), out);
      start = nl + 1;
    }
    rest = text.slice(start);
    if (out.length > 0) yield out;
  }
  if (rest !== '') {
    const out: Bar[] = [];
    take(rest, out);
    if (out.length > 0) yield out;
  }
}

/**
 * Bytes appended to a file, as `tail -f` sees them: from the start of the file (or its end with `fromEnd`),
 * then whatever is appended, polled every `pollMs`, until `signal` aborts.
 */
export async function* tailChunks(
  file: string,
  options: { signal?: AbortSignal; pollMs?: number; fromEnd?: boolean } = {},
): AsyncGenerator<Buffer> {
  const handle = await open(file, 'r').catch((e: Error) => {
    throw new LiveFeedError(file, `cannot open for tailing: ${e.message}`);
  });
  try {
    let offset = options.fromEnd ? (await handle.stat()).size : 0;
    for (;;) {
      if (options.signal?.aborted) return;
      const buffer = Buffer.allocUnsafe(1 << 16);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) {
        try {
          await sleep(options.pollMs ?? 100, undefined, options.signal ? { signal: options.signal } : {});
        } catch {
          return;
        }
        continue;
      }
      offset += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** Bytes a TCP server sends to us (`host:port`), until it closes the connection. */
export async function* tcpChunks(host: string, port: number): AsyncGenerator<Buffer> {
  const socket = connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (e) =>
      reject(new LiveFeedError(`tcp://${host}:${port}`, `cannot connect: ${e.message}`)),
    );
  });
  try {
    yield* socket as AsyncIterable<Buffer>;
  } finally {
    socket.destroy();
  }
}

/** Bytes of a file read once to its end (a finite NDJSON feed from a file). */
export function fileChunks(file: string): AsyncIterable<Buffer> {
  return createReadStream(file);
}
