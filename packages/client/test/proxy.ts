// A small proxy between the client and a real server that damages envelopes on the way: HTTP (SSE and
// poll) is forwarded request by request with compression turned off so the proxy can read the events; a
// WebSocket upgrade is forwarded as raw TCP (extensions stripped, so frames are uncompressed) and the
// server's frames are parsed and re-written. Each fault in `faults` is used once, on the next delta that
// can carry it; `applied` lists what was done.
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';

/** What the proxy can do to one delta. */
export type Fault =
  /** Deliver it twice. */
  | 'duplicate'
  /** Deliver it after the next one (poll: deliver an older answer after it). */
  | 'reorder'
  /** Change the value of one of its ops, keeping its `fp`. */
  | 'corrupt'
  /** Deliver half of it, then cut the connection. */
  | 'cut';

interface Delta {
  t: string;
  ops?: { op: string; value?: unknown }[];
}

export class FaultProxy {
  readonly faults: Fault[] = [];
  readonly applied: Fault[] = [];
  readonly #upstream: URL;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  /** Poll: an answer to give the next request instead of asking the server. */
  #replay: string | undefined;
  /** Poll: the last delta answered. */
  #lastPoll: string | undefined;

  constructor(upstream: string) {
    this.#upstream = new URL(upstream);
    this.#server = createServer((req, res) => this.#http(req, res));
    this.#server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.#upgrade(req, socket, head),
    );
    this.#server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** The next fault, if `text` is a delta it can be applied to. */
  #take(text: string): Fault | undefined {
    const fault = this.faults[0];
    if (fault === undefined) return undefined;
    const e = parse(text);
    if (e?.t !== 'delta' || (e.ops ?? []).length === 0) return undefined;
    if (fault === 'corrupt' && !(e.ops ?? []).some((op) => 'value' in op)) return undefined;
    this.faults.shift();
    this.applied.push(fault);
    return fault;
  }

  #http(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.#upstream);
    const polling = url.pathname === '/v1/state' && url.searchParams.has('since');
    if (polling && this.#replay !== undefined) {
      const body = this.#replay;
      this.#replay = undefined;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
      return;
    }
    const headers = { ...req.headers, host: this.#upstream.host, 'accept-encoding': 'identity' };
    const up = request(
      {
        host: this.#upstream.hostname,
        port: this.#upstream.port,
        method: req.method,
        path: req.url,
        headers,
      },
      (ures) => {
        const isSse = (ures.headers['content-type'] ?? '').startsWith('text/event-stream');
        if (isSse) return this.#sse(ures, res);
        if (polling && ures.statusCode === 200) return this.#poll(ures, res);
        res.writeHead(ures.statusCode ?? 502, ures.headers);
        ures.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  }

  #sse(ures: IncomingMessage, res: ServerResponse): void {
    const headers = { ...ures.headers };
    delete headers['content-length'];
    res.writeHead(ures.statusCode ?? 200, headers);
    let buffer = '';
    let held: string | undefined;
    ures.setEncoding('utf8');
    ures.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end + 2);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
        const fault = this.#take(data);
        if (fault === 'cut') {
          res.write(block.slice(0, Math.floor(block.length / 2)));
          setTimeout(() => res.socket?.destroy(), 20);
          ures.destroy();
          return;
        }
        if (fault === 'reorder') {
          held = block;
          continue;
        }
        const out = fault === 'corrupt' ? block.replace(data, corrupt(data)) : block;
        res.write(out);
        if (fault === 'duplicate') res.write(out);
        if (held !== undefined && data !== '') {
          res.write(held);
          held = undefined;
        }
      }
    });
    ures.on('end', () => res.end());
  }

  #poll(ures: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    ures.on('data', (c: Buffer) => chunks.push(c));
    ures.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const fault = this.#take(body);
      const previous = this.#lastPoll;
      if (parse(body)?.t === 'delta' && (parse(body)?.ops ?? []).length > 0) this.#lastPoll = body;
      if (fault === 'cut') {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
        });
        res.write(body.slice(0, Math.floor(body.length / 2)));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      // A duplicate answers the next request again; an out-of-order answer is an older one given after.
      if (fault === 'duplicate') this.#replay = body;
      if (fault === 'reorder') this.#replay = previous ?? body;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(fault === 'corrupt' ? corrupt(body) : body);
    });
  }

  #upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    this.#sockets.add(socket);
    const upstream = connect(Number(this.#upstream.port), this.#upstream.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i] as string;
        // Without the extension offer the server sends plain (uncompressed) frames.
        if (name.toLowerCase() === 'sec-websocket-extensions') continue;
        lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream);
    });
    this.#sockets.add(upstream);
    const cut = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('close', cut);
    upstream.on('close', cut);
    socket.on('error', cut);
    upstream.on('error', cut);
    let handshake = true;
    let buffer = Buffer.alloc(0);
    let held: Buffer | undefined;
    upstream.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (handshake) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        socket.write(buffer.subarray(0, end + 4));
        buffer = buffer.subarray(end + 4);
        handshake = false;
      }
      for (;;) {
        const frame = readFrame(buffer);
        if (frame === undefined) return;
        buffer = buffer.subarray(frame.size);
        const raw = frame.raw;
        if (frame.opcode !== 1) {
          socket.write(raw);
          continue;
        }
        const text = frame.payload.toString('utf8');
        const fault = this.#take(text);
        if (fault === 'cut') {
          socket.write(raw.subarray(0, Math.floor(raw.length / 2)));
          setTimeout(cut, 20);
          return;
        }
        if (fault === 'reorder') {
          held = raw;
          continue;
        }
        const out = fault === 'corrupt' ? textFrame(corrupt(text)) : raw;
        socket.write(out);
        if (fault === 'duplicate') socket.write(out);
        if (held !== undefined) {
          socket.write(held);
          held = undefined;
        }
      }
    });
  }
}

function parse(text: string): Delta | undefined {
  try {
    return JSON.parse(text) as Delta;
  } catch {
    return undefined;
  }
}

/** The envelope with the value of its first op that has one changed; everything else (its fp) kept. */
function corrupt(text: string): string {
  const e = JSON.parse(text) as Delta;
  const ops = e.ops ?? [];
  const i = ops.findIndex((op) => 'value' in op);
  const op = ops[i];
  if (op === undefined) return text;
  op.value =
    typeof op.value === 'number' ? op.value + 1 : typeof op.value === 'string' ? `${op.value}!` : null;
  return JSON.stringify(e);
}

/** One unmasked server frame at the start of `b`, or undefined when it is not all there. */
function readFrame(b: Buffer): { opcode: number; payload: Buffer; raw: Buffer; size: number } | undefined {
  if (b.length < 2) return undefined;
  const opcode = (b[0] as number) & 0x0f;
  let len = (b[1] as number) & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (b.length < 4) return undefined;
    len = b.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (b.length < 10) return undefined;
    len = Number(b.readBigUInt64BE(2));
    offset = 10;
  }
  if (b.length < offset + len) return undefined;
  return {
    opcode,
    payload: b.subarray(offset, offset + len),
    raw: b.subarray(0, offset + len),
    size: offset + len,
  };
}

/** A final, unmasked text frame. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x81, n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n < 65536) {
    head[0] = 0x81;
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else if (n >= 65536) {
    head[0] = 0x81;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}
