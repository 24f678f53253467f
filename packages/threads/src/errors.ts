import { SysError } from '@sys/core';

/** A lifecycle call the run's state does not allow (pause while stopped, step while running). */
export class RunStateError extends SysError {
  /** The state it was in. */
  readonly state: string;

  constructor(action: string, state: string, hint: string, what = 'run') {
    super('RUN_STATE', `cannot ${action} the ${what} while it is ${state}; ${hint}`);
    this.state = state;
  }
}

/**
 * The reason a stopping run's waits are aborted with. A body that lets it propagate ends `stopped`, not
 * `error`: stopping is not a failure.
 */
export class RunStoppedError extends SysError {
  constructor(what: string) {
    super('RUN_STOPPED', `the ${what} was asked to stop`);
  }
}

/** A bar stream that breaks the order the loop relies on (time going backwards, a duplicate). */
export class StreamOrderError extends SysError {
  constructor(message: string) {
    super('STREAM_ORDER', message);
  }
}
