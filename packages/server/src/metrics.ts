import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Transports a client can follow the state over. */
export type Transport = 'sse' | 'ws' | 'http';

/** The server's Prometheus metrics, on a registry of its own (two servers in one process never clash). */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly clients: Gauge<'transport'>;
  readonly envelopes: Counter<'transport' | 'kind'>;
  readonly bytes: Counter<'transport'>;
  readonly snapshots: Counter<'reason'>;
  readonly dropped: Counter<'transport'>;
  readonly disconnected: Counter<'reason'>;
  readonly control: Counter<'action' | 'status'>;
  readonly lag: Histogram;
  readonly position: Gauge;
  readonly retained: Gauge;

  constructor(collect: { lags: () => number[]; position: () => number; retainedBytes: () => number }) {
    const registers = [this.registry];
    this.clients = new Gauge({
      name: 'sys_server_clients',
      help: 'Clients connected, by transport',
      labelNames: ['transport'],
      registers,
    });
    this.envelopes = new Counter({
      name: 'sys_server_envelopes_sent_total',
      help: 'Envelopes written to clients, by transport and kind (snapshot or delta)',
      labelNames: ['transport', 'kind'],
      registers,
    });
    this.bytes = new Counter({
      name: 'sys_server_bytes_sent_total',
      help: 'Envelope bytes written to clients before compression, by transport',
      labelNames: ['transport'],
      registers,
    });
    this.snapshots = new Counter({
      name: 'sys_server_snapshots_sent_total',
      help: 'Snapshots sent, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.dropped = new Counter({
      name: 'sys_server_backpressure_total',
      help: 'Times a client fell behind its send buffer and its pending envelopes were replaced by one catch-up',
      labelNames: ['transport'],
      registers,
    });
    this.disconnected = new Counter({
      name: 'sys_server_disconnects_total',
      help: 'Clients disconnected by the server, by reason (stuck, shutdown)',
      labelNames: ['reason'],
      registers,
    });
    this.control = new Counter({
      name: 'sys_server_control_calls_total',
      help: 'Control calls, by action and outcome (ok or the error code)',
      labelNames: ['action', 'status'],
      registers,
    });
    this.lag = new Histogram({
      name: 'sys_server_client_lag_seq',
      help: 'How many positions each connected client is behind the latest (sampled at scrape)',
      buckets: [0, 1, 2, 5, 10, 50, 100, 1000],
      registers,
      collect() {
        this.reset();
        for (const l of collect.lags()) this.observe(l);
      },
    });
    this.position = new Gauge({
      name: 'sys_server_position_seq',
      help: 'The latest position (seq) of the state',
      registers,
      collect() {
        this.set(collect.position());
      },
    });
    this.retained = new Gauge({
      name: 'sys_server_history_retained_bytes',
      help: 'Bytes the kept positions hold beyond the latest state (bounded by maxHistoryBytes)',
      registers,
      collect() {
        this.set(collect.retainedBytes());
      },
    });
  }
}
