import type { AddressInfo } from 'node:net';
import type { Bar } from '@sys/market-data';
import { CsvBarSource } from '@sys/market-data/csv';
import { samplePath } from '@sys/market-data/samples';
import { nyDateOf } from '@sys/market-time';
import { type WebSocket, WebSocketServer } from 'ws';

/** The bundled AAPL bars of 2025-07-02 (New York date), read from the sample CSV. */
export async function sampleDay(): Promise<Bar[]> {
  const source = new CsvBarSource([samplePath('AAPL_2025-07-02.csv')]);
  const out: Bar[] = [];
  for await (const bar of source.streamBars({ symbols: [], startDate: '2025-07-02', endDate: '2025-07-02' }))
    if (nyDateOf(bar.startMs) === '2025-07-02') out.push(bar);
  await source.close?.();
  return out;
}

/** A bar as the provider sends it, written here from the format's documentation, not by the code under test. */
export function recorded(
  format: 'alpaca' | 'polygon',
  b: Bar,
  kind: 'b' | 'u' = 'b',
): Record<string, unknown> {
  return format === 'alpaca'
    ? {
        T: kind,
        S: b.symbol,
        o: b.open,
        h: b.high,
        l: b.low,
        c: b.close,
        v: b.volume,
        t: new Date(b.startMs).toISOString(),
        n: 10,
        vw: b.close,
      }
    : {
        ev: 'AM',
        sym: b.symbol,
        v: b.volume,
        av: b.volume,
        op: b.open,
        vw: b.close,
        o: b.open,
        c: b.close,
        h: b.high,
        l: b.low,
        a: b.close,
        z: 1,
        s: b.startMs,
        e: b.startMs + 60_000,
      };
}

/** One scripted connection: the messages (strings) to send after the subscription; `drop` ends it with no close frame. */
export interface Script {
  messages: string[];
  end: 'drop' | 'close';
}

/**
 * A feed server for tests: the provider's handshake, then one script per connection, in order. Records what
 * clients sent (auth and subscribe messages).
 */
export async function scriptedFeed(format: 'alpaca' | 'polygon', scripts: Script[]) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => server.once('listening', () => r()));
  const received: unknown[] = [];
  let connections = 0;
  const send = (ws: WebSocket, v: unknown) => ws.send(JSON.stringify(v));
  server.on('connection', (ws) => {
    const script = scripts[connections++];
    send(
      ws,
      format === 'alpaca'
        ? [{ T: 'success', msg: 'connected' }]
        : [{ ev: 'status', status: 'connected', message: 'Connected Successfully' }],
    );
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Record<string, unknown>;
      received.push(m);
      if (m.action === 'auth')
        send(
          ws,
          format === 'alpaca'
            ? [{ T: 'success', msg: 'authenticated' }]
            : [{ ev: 'status', status: 'auth_success', message: 'authenticated' }],
        );
      if (m.action === 'subscribe') {
        send(
          ws,
          format === 'alpaca'
            ? [{ T: 'subscription', trades: [], quotes: [], bars: m.bars }]
            : [{ ev: 'status', status: 'success', message: `subscribed to: ${String(m.params)}` }],
        );
        if (script === undefined) return void ws.terminate();
        void (async () => {
          for (const text of script.messages) {
            ws.send(text);
            await new Promise((r) => setImmediate(r));
          }
          if (script.end === 'drop') ws.terminate();
          else ws.close(1000, 'replay finished');
        })();
      }
    });
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    connections: () => connections,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
