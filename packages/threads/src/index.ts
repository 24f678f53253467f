export {
  SessionApplier,
  type SessionPhase,
  type SessionTarget,
  scopeBounds,
  Timing,
  type TimingStats,
} from './apply.js';
export { Backtest, type BacktestOptions, runBacktest } from './backtest.js';
export { ROLE_NAMES, type RoleName, type RoleSpec, type RoleSpecs, RunBase } from './base.js';
export { RunStateError, RunStoppedError, StreamOrderError } from './errors.js';
export { LiveRun, type LiveRunOptions, type PushResult, type RejectionReason } from './live.js';
export { Pacer, type PacerOptions } from './pacer.js';
export { barBatches, ReadAhead, type ReadAheadStats } from './read-ahead.js';
export type { Run, RunEvent, RunProgress, RunState } from './run.js';
export type {
  DataUpkeepFields,
  IdleWorkerJson,
  ReadAheadJson,
  RoleErrorJson,
  RoleJsonBase,
  RunJson,
  SessionCoordinatorFields,
  StreamCoordinatorFields,
  ThreadInfoJson,
  ThreadsJson,
  TimingJson,
  WorkerJson,
} from './wire.js';
