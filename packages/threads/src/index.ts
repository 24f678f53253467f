export { Backtest, type BacktestOptions, runBacktest } from './backtest.js';
export { type ClockControl, clockControl } from './clock-control.js';
export { StreamOrderError, UpstreamFailedError, WorkerStateError, WorkerStoppedError } from './errors.js';
export { BoundedQueue, type BoundedQueueOptions, type QueueStats, type QueueStatsSource } from './queue.js';
export {
  type CatchUp,
  SessionCoordinator,
  type SessionCoordinatorOptions,
  type SessionPhase,
  type SessionTarget,
} from './session.js';
export {
  BacktestStreamCoordinator,
  type MinuteBatch,
  type ReleaseGate,
  type ReleaseProgress,
  type StreamCoordinatorOptions,
} from './stream.js';
export { DataUpkeep, type DataUpkeepOptions, type UpkeepTarget } from './upkeep.js';
export {
  type JsonFields,
  type TimingStats,
  Worker,
  type WorkerBody,
  type WorkerContext,
  type WorkerOptions,
  type WorkerState,
} from './worker.js';
