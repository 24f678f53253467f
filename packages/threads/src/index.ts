export {
  SessionApplier,
  type SessionPhase,
  type SessionTarget,
  scopeBounds,
  Timing,
  type TimingStats,
} from './apply.js';
export { Backtest, type BacktestOptions, runBacktest } from './backtest.js';
export { type JsonFields, ROLE_NAMES, type RoleName, type RoleSpec, RunBase } from './base.js';
export { RunStateError, RunStoppedError, StreamOrderError } from './errors.js';
export { LiveRun, type LiveRunOptions } from './live.js';
export { Pacer, type PacerOptions } from './pacer.js';
export { barBatches, ReadAhead, type ReadAheadStats } from './read-ahead.js';
export type { Run, RunEvent, RunProgress, RunState } from './run.js';
