import { get, type IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';

const ID = Buffer.from('id: ');
const NL = 0x0a;

/**
 * One SSE client: counts wire bytes and records when each position's frame arrived whole. It scans bytes
 * for frame boundaries instead of decoding text, so a thousand of them in one process keep up with the
 * server: what is measured is the server's delivery, not this process parsing megabytes of JSON.
 */
export class SseProbe {
  readonly arrived = new Map<string, number>();
  #req: ReturnType<typeof get> | undefined;
  #res: IncomingMessage | undefined;
  /** The id of the frame being received, until its blank line arrives. */
  #pending: string | undefined;
  /** The last bytes of the previous chunk (a boundary may straddle two chunks). */
  #tail: Buffer = Buffer.alloc(0);
  readonly ready: Promise<void>;

  /**
   * `gzip`: ask for it, as browsers' EventSource does. `scan`: find frame ends (decompressing a gzip
   * stream first); a follower that does not scan only counts bytes, as a cheap stand-in for a remote client.
   */
  constructor(url: string, query = '', options: { gzip?: boolean; scan?: boolean } = {}) {
    const gzip = options.gzip === true;
    const scan = options.scan !== false;
    this.ready = new Promise((resolve, reject) => {
      this.#req = get(
        `${url}/v1/stream${query}`,
        { agent: false, headers: gzip ? { 'accept-encoding': 'gzip' } : {} },
        (res) => {
          this.#res = res;
          res.once('data', () => resolve());
          if (!scan) {
            res.resume();
            return;
          }
          const body = gzip ? res.pipe(createGunzip()) : res;
          body.on('data', (chunk: Buffer) => this.#scan(chunk, performance.timeOrigin + performance.now()));
          body.on('error', () => undefined);
        },
      );
      this.#req.on('error', reject);
    });
  }

  #scan(chunk: Buffer, now: number): void {
    const buf = this.#tail.length === 0 ? chunk : Buffer.concat([this.#tail, chunk]);
    let at = 0;
    for (;;) {
      if (this.#pending === undefined) {
        const i = buf.indexOf(ID, at);
        if (i < 0) break;
        const eol = buf.indexOf(NL, i);
        if (eol < 0) {
          at = i;
          break;
        }
        this.#pending = buf.toString('latin1', i + ID.length, eol);
        at = eol + 1;
      }
      // The frame ends at its blank line: the first "\n\n" after the id line (JSON data has no raw newline).
      const end = buf.indexOf('\n\n', at);
      if (end < 0) {
        at = Math.max(at, buf.length - 1);
        break;
      }
      this.arrived.set(this.#pending, now);
      this.#pending = undefined;
      at = end + 2;
    }
    this.#tail = at < buf.length ? Buffer.from(buf.subarray(Math.max(at, buf.length - 64))) : Buffer.alloc(0);
  }

  /** Bytes read from the socket (compressed when gzip). */
  get wireBytes(): number {
    return this.#res?.socket?.bytesRead ?? 0;
  }

  close(): void {
    this.#req?.destroy();
  }
}

/** Every delivery latency: each probe's arrival of a position minus the position's creation stamp (ms). */
export function latencies(probes: readonly SseProbe[], stamps: Readonly<Record<string, number>>): number[] {
  const out: number[] = [];
  for (const p of probes) {
    for (const [id, at] of p.arrived) {
      const made = stamps[id];
      if (made !== undefined) out.push(at - made);
    }
  }
  return out.sort((x, y) => x - y);
}
