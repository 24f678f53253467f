/**
 * The complete state `SystemManager` shows, as types: what `stateJson()` returns and what every consumer's
 * envelopes rebuild. Field meanings: docs/json-api.md. `schema/state.schema.json` is generated from
 * `SystemJson` (`pnpm --filter @sys/system-manager schema`) and real output is validated against it.
 */
import type { IsoDate } from '@sys/market-time';
import type { SessionDataJson } from '@sys/session-data';
import type { ThreadsJson } from '@sys/threads';

/** `system_manager`: the system's own state and settings. */
export type SystemManagerJson = {
  readonly state: 'stopped' | 'starting' | 'running' | 'paused' | 'stopping' | 'error';
  readonly mode: 'backtest' | 'live';
  readonly timezone: 'America/New_York';
  readonly backtest_window: { readonly start_date: IsoDate; readonly end_date: IsoDate } | null;
  /** Market ms per wall ms, or `max`. */
  readonly speed: number | 'max';
  readonly symbols: number;
  readonly last_error: string | null;
  /** Debug only. */
  readonly performance?: { readonly uptime_seconds: number | null; readonly memory_usage_mb: number };
};

/** The complete state: `{ system_manager, threads, session_data }`. */
export type SystemJson = {
  readonly system_manager: SystemManagerJson;
  readonly threads: ThreadsJson;
  readonly session_data: SessionDataJson;
};
