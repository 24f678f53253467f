import { SysError } from './errors.js';

/**
 * Where a component that runs (a worker, a run, the system) is in its life:
 * `created → starting → running ⇄ paused → stopping → stopped`, or `error`; `stopped` and `error` may
 * start again.
 */
export type LifecycleState = 'created' | 'starting' | 'running' | 'paused' | 'stopping' | 'stopped' | 'error';

/**
 * What moves a lifecycle: a request (`start`, `pause`, `resume`, `stop`) or a report of what happened
 * (`started`: the start finished; `stopped`: the work ended cleanly, on its own or after a stop; `fail`:
 * it ended with an error).
 */
export type LifecycleTrigger = 'start' | 'started' | 'pause' | 'resume' | 'stop' | 'stopped' | 'fail';

/** Every state, in life order. */
export const LIFECYCLE_STATES: readonly LifecycleState[] = Object.freeze([
  'created',
  'starting',
  'running',
  'paused',
  'stopping',
  'stopped',
  'error',
]);

/** Every trigger. */
export const LIFECYCLE_TRIGGERS: readonly LifecycleTrigger[] = Object.freeze([
  'start',
  'started',
  'pause',
  'resume',
  'stop',
  'stopped',
  'fail',
]);

type Row = Partial<Record<LifecycleTrigger, LifecycleState>>;

/**
 * The one table: (state, trigger) → next state; a missing entry is refused. Asking for what already holds
 * is allowed and changes nothing (pause when paused, resume when running, stop when stopping or over),
 * so callers compare the answer with the state to see whether anything happened.
 */
const TABLE: Readonly<Record<LifecycleState, Row>> = {
  created: { start: 'starting', stop: 'stopped' },
  starting: { started: 'running', stop: 'stopping', stopped: 'stopped', fail: 'error' },
  running: { pause: 'paused', resume: 'running', stop: 'stopping', stopped: 'stopped', fail: 'error' },
  paused: { pause: 'paused', resume: 'running', stop: 'stopping', stopped: 'stopped', fail: 'error' },
  stopping: { stop: 'stopping', stopped: 'stopped', fail: 'error' },
  stopped: { start: 'starting', stop: 'stopped' },
  // A stop keeps the error on show until the next start.
  error: { start: 'starting', stop: 'error' },
};

const VERBS: Readonly<Record<LifecycleTrigger, string>> = {
  start: 'start',
  started: 'finish starting',
  pause: 'pause',
  resume: 'resume',
  stop: 'stop',
  stopped: 'end',
  fail: 'fail',
};

/** What to do instead, for a refused (state, trigger). */
function hint(state: LifecycleState, trigger: LifecycleTrigger): string {
  const over = state === 'created' || state === 'stopped' || state === 'error';
  switch (trigger) {
    case 'start':
      if (state === 'starting') return 'a start is already under way; wait for it';
      if (state === 'stopping') return 'wait until it has stopped, then start it again';
      return 'it is already running; stop it and wait until it has stopped, then start it again';
    case 'started':
      return 'only a start under way can finish; call start first';
    case 'pause':
    case 'resume':
      if (over) return trigger === 'pause' ? 'start it first' : 'only a paused run resumes; start it instead';
      if (state === 'starting') return 'wait until the start has finished';
      return `it is stopping; there is nothing left to ${trigger}`;
    default:
      // `stopped` and `fail` report the end of a run, and there is none.
      return 'nothing is running: only a started run can end or fail; start it first';
  }
}

/** A lifecycle trigger the current state does not allow, e.g. `pause` while `stopped`. */
export class LifecycleError extends SysError {
  /** The state the component was in (unchanged). */
  readonly state: LifecycleState;
  /** The trigger refused. */
  readonly trigger: LifecycleTrigger;

  constructor(state: LifecycleState, trigger: LifecycleTrigger, subject: string) {
    super('LIFECYCLE', `cannot ${VERBS[trigger]} ${subject} while it is ${state}: ${hint(state, trigger)}`);
    this.state = state;
    this.trigger = trigger;
  }
}

/**
 * The state after `trigger` in `state`, from the one table; throws LifecycleError (code `LIFECYCLE`)
 * naming the state, the trigger and what to do when the table refuses it. Pure: the caller stores the
 * answer. `subject` names the component in the message, e.g. `worker "data_upkeep"`.
 */
export function transition(
  state: LifecycleState,
  trigger: LifecycleTrigger,
  subject = 'the component',
): LifecycleState {
  const next = TABLE[state]?.[trigger];
  if (next === undefined) throw new LifecycleError(state, trigger, subject);
  return next;
}

/** True while a run is under way: starting, running, paused or stopping. */
export function isAlive(state: LifecycleState): boolean {
  return state === 'starting' || state === 'running' || state === 'paused' || state === 'stopping';
}
