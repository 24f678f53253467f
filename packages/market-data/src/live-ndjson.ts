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

/** Lines of a byte stream (UTF-8, `\n` or `\r\n`), read chunk by chunk; a last line without `\n` is kept. */
export async function* linesOf(stream: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of stream) {
    const text = rest + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield text.slice(start, end);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest !== '') yield rest;
}

/**
 * Bars of NDJSON lines for a live session: each line read on its own (`barFromJsonLine`); a line that is
 * not a bar is counted in `status` and skipped, never the end of the feed. Order and repeats are the live
 * run's to judge.
 */
export async function* ndjsonFeed(
  lines: AsyncIterable<string>,
  status: NdjsonFeedStatus,
): AsyncGenerator<Bar> {
  for await (const text of lines) {
    status.lines++;
    if (text.trim() === '') continue;
    let bar: Bar;
    try {
      bar = barFromJsonLine(text, `${status.source}:${status.lines}`);
    } catch (e) {
      status.malformed++;
      status.lastMalformed = (e as Error).message;
      continue;
    }
    status.bars++;
    yield bar;
  }
}

/**
 * Lines appended to a file, as `tail -f` shows them: from the start of the file (or its end with
 * `fromEnd`), then whatever is appended, polled every `pollMs`, until `signal` aborts.
 */
export async function* tailLines(
  file: string,
  options: { signal?: AbortSignal; pollMs?: number; fromEnd?: boolean } = {},
): AsyncGenerator<string> {
  const handle = await open(file, 'r').catch((e: Error) => {
    throw new LiveFeedError(file, `cannot open for tailing: ${e.message}`);
  });
  try {
    let offset = options.fromEnd ? (await handle.stat()).size : 0;
    let rest = '';
    const buffer = Buffer.alloc(1 << 16);
    for (;;) {
      if (options.signal?.aborted) return;
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
      const text = rest + buffer.toString('utf8', 0, bytesRead);
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line;
    }
  } finally {
    await handle.close();
  }
}

/** Lines a TCP server sends to us (`host:port`), until it closes the connection. */
export async function* tcpLines(host: string, port: number): AsyncGenerator<string> {
  const socket = connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (e) =>
      reject(new LiveFeedError(`tcp://${host}:${port}`, `cannot connect: ${e.message}`)),
    );
  });
  try {
    yield* linesOf(socket);
  } finally {
    socket.destroy();
  }
}

/** Lines of a file read once to its end (for a finite NDJSON feed from a file). */
export function fileLines(file: string): AsyncGenerator<string> {
  return linesOf(createReadStream(file));
}
