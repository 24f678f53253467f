import { SysError } from '@sys/core';
/** A lifecycle call the worker's current state does not allow (start while running, pause while stopped). */
export class WorkerStateError extends SysError {
  /** The worker's name. */
  readonly worker: string;
  /** The state it was in. */
  readonly state: string;

  constructor(worker: string, action: string, state: string, hint: string) {
    super('WORKER_STATE', `cannot ${action} worker "${worker}" while it is ${state}; ${hint}`);
    this.worker = worker;
    this.state = state;
  }
}

/**
 * The reason a stopping worker's waits are aborted with. A body that lets it propagate ends `stopped`, not
 * `error`: stopping is not a failure.
 */
export class WorkerStoppedError extends SysError {
  constructor(worker: string) {
    super('WORKER_STOPPED', `worker "${worker}" was asked to stop`);
  }
}

/** A bar stream that breaks the order a merge relies on (time going backwards, a bar of another symbol). */
export class StreamOrderError extends SysError {
  constructor(message: string) {
    super('STREAM_ORDER', message);
  }
}

/** A worker another one waits on failed, so the wait can never be satisfied. */
export class UpstreamFailedError extends SysError {
  constructor(message: string, cause: unknown) {
    super('UPSTREAM_FAILED', message, { cause });
  }
}
