import type { Json } from '@sys/core';
/**
 * The JSON of a run's three roles (the system's `threads` part), as types the code is checked against.
 * Field meanings: packages/system-manager/docs/json-api.md. Type aliases with readonly fields, so each is
 * assignable to `Json`.
 */
import type { IsoDate } from '@sys/market-time';
import type { SessionPhase } from './apply.js';
import type { RunState } from './run.js';

/** `thread_info`: the role's name, whether its run is alive, whether it keeps the process alive. */
export type ThreadInfoJson = { readonly name: string; readonly is_alive: boolean; readonly daemon: boolean };

/** The error of the role whose work failed. */
export type RoleErrorJson = { readonly name: string; readonly code: string | null; readonly message: string };

/** `performance` (debug): the role's work per event, wall ms. */
export type TimingJson = {
  readonly batches: number;
  readonly items: number;
  readonly last_batch_ms: number;
  readonly avg_batch_ms: number;
  readonly max_batch_ms: number;
};

/** `queues.read_ahead` (debug): bars read ahead of market time (`enqueued = dequeued + depth`). */
export type ReadAheadJson = {
  readonly capacity: number;
  readonly depth: number;
  readonly high_water: number;
  readonly enqueued: number;
  readonly dequeued: number;
  readonly blocked_ms: number;
  readonly dropped: number;
};

/** What every role shows: who it is, its run's state, its failure, and with debug its timing and queues. */
export type RoleJsonBase = {
  readonly thread_info: ThreadInfoJson;
  readonly state: RunState;
  readonly error: RoleErrorJson | null;
  readonly performance?: TimingJson;
  readonly queues?: { readonly read_ahead?: ReadAheadJson };
};

/** The session coordinator's own fields (the window fields are a backtest's). */
export type SessionCoordinatorFields = {
  readonly date: IsoDate | null;
  readonly phase: SessionPhase;
  readonly days_done: number;
  readonly last_day_done: IsoDate | null;
  readonly start_date?: IsoDate;
  readonly end_date?: IsoDate;
  readonly trading_days?: number;
  readonly history_days?: number;
  readonly history_through?: IsoDate | null;
  readonly history_bars_loaded?: number;
  readonly stopped_because?: string | null;
};

/** The data upkeep's own fields. */
export type DataUpkeepFields = {
  readonly bars_ingested: number;
  readonly minutes_ingested: number;
  readonly bars_folded: number;
  /** `YYYY-MM-DD HH:MM:SS` New York, or null. */
  readonly market_time: string | null;
  readonly lag: { readonly bars: number; readonly market_ms: number; readonly bars_read_ahead: number };
};

/** The stream coordinator's own fields (window fields: a backtest's; `bars_received` …: a live run's). */
export type StreamCoordinatorFields = {
  readonly speed: number | 'max' | null;
  readonly scope: 'regular' | 'extended';
  readonly symbols: number;
  readonly market_time: string | null;
  readonly bars_outside_scope: number;
  readonly start_date?: IsoDate;
  readonly end_date?: IsoDate;
  readonly bars_released?: number;
  readonly minutes_released?: number;
  readonly bars_per_second?: number;
  readonly exhausted?: boolean;
  readonly bars_received?: number;
  readonly bars_duplicate?: number;
  readonly bars_corrected?: number;
  readonly bars_rejected?: number;
  readonly rejections?: {
    readonly invalid: number;
    readonly unknown_symbol: number;
    readonly older_than_session: number;
    readonly late: number;
  };
  readonly last_rejection?: string | null;
  readonly clock?: 'wall' | 'feed';
  /** The live feed's own status: connection state, reconnects, malformed messages. */
  readonly feed?: Json;
  readonly bars_pending?: number;
};

/** One role's JSON. */
export type WorkerJson<F> = RoleJsonBase & F;

/** A role before any run: who it is and `created`. */
export type IdleWorkerJson = { readonly thread_info: ThreadInfoJson; readonly state: 'created' };

/** The system's `threads` part. */
export type ThreadsJson = {
  readonly session_coordinator: WorkerJson<SessionCoordinatorFields> | IdleWorkerJson;
  readonly data_upkeep: WorkerJson<DataUpkeepFields> | IdleWorkerJson;
  readonly stream_coordinator: WorkerJson<StreamCoordinatorFields> | IdleWorkerJson;
};

/** A run's own JSON: its state, failure, speed, window and threads. */
export type RunJson = {
  readonly state: RunState;
  readonly error: string | null;
  readonly speed: number | 'max' | null;
  readonly backtest_window?: { readonly start_date: IsoDate; readonly end_date: IsoDate };
  readonly symbols: number;
  readonly threads: ThreadsJson;
};
