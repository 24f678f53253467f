import { describe, expect, it } from 'vitest';
import { SysError } from './errors.js';
import {
  isAlive,
  LIFECYCLE_STATES,
  LIFECYCLE_TRIGGERS,
  LifecycleError,
  type LifecycleState,
  type LifecycleTrigger,
  transition,
} from './lifecycle.js';

// Written out by hand, row by row, so the test does not restate the implementation's table.
// Columns: start, started, pause, resume, stop, stopped, fail. '✗' = refused.
const EXPECTED: Record<LifecycleState, readonly string[]> = {
  created: ['starting', '✗', '✗', '✗', 'stopped', '✗', '✗'],
  starting: ['✗', 'running', '✗', '✗', 'stopping', 'stopped', 'error'],
  running: ['✗', '✗', 'paused', 'running', 'stopping', 'stopped', 'error'],
  paused: ['✗', '✗', 'paused', 'running', 'stopping', 'stopped', 'error'],
  stopping: ['✗', '✗', '✗', '✗', 'stopping', 'stopped', 'error'],
  stopped: ['starting', '✗', '✗', '✗', 'stopped', '✗', '✗'],
  error: ['starting', '✗', '✗', '✗', 'error', '✗', '✗'],
};

const PAIRS = LIFECYCLE_STATES.flatMap((state) =>
  LIFECYCLE_TRIGGERS.map((trigger, i) => [state, trigger, EXPECTED[state][i] as string] as const),
);

describe('transition', () => {
  it('has a row for every state and a column for every trigger', () => {
    expect(PAIRS).toHaveLength(49);
    expect(Object.keys(EXPECTED)).toEqual([...LIFECYCLE_STATES]);
  });

  it.each(PAIRS.filter(([, , next]) => next !== '✗'))('%s + %s → %s', (state, trigger, next) => {
    expect(transition(state, trigger)).toBe(next);
  });

  it.each(PAIRS.filter(([, , next]) => next === '✗'))('%s + %s is refused', (state, trigger) => {
    let error: unknown;
    try {
      transition(state, trigger, 'worker "data_upkeep"');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LifecycleError);
    const e = error as LifecycleError;
    expect(SysError.isInstance(e)).toBe(true);
    expect(e.code).toBe('LIFECYCLE');
    expect(e.state).toBe(state);
    expect(e.trigger).toBe(trigger);
    // What, where, and what to do.
    expect(e.message).toMatch(/^cannot [a-z ]+ worker "data_upkeep" while it is [a-z]+: .{10,}/);
    expect(e.message).toContain(`while it is ${state}:`);
  });

  it('says what to do in words a caller can follow', () => {
    expect(() => transition('stopped', 'pause', 'the system')).toThrow(
      'cannot pause the system while it is stopped: start it first',
    );
    expect(() => transition('running', 'start')).toThrow(
      'cannot start the component while it is running: it is already running; stop it and wait until it has stopped, then start it again',
    );
    expect(() => transition('created', 'fail')).toThrow('cannot fail the component while it is created');
    expect(() => transition('running', 'started')).toThrow('call start first');
  });

  it('leaves asking for what already holds as a no-op the caller can detect', () => {
    const noOps: [LifecycleState, LifecycleTrigger][] = [
      ['paused', 'pause'],
      ['running', 'resume'],
      ['stopping', 'stop'],
      ['stopped', 'stop'],
      ['error', 'stop'],
    ];
    for (const [state, trigger] of noOps) expect(transition(state, trigger)).toBe(state);
  });
});

describe('isAlive', () => {
  it.each([
    ['created', false],
    ['starting', true],
    ['running', true],
    ['paused', true],
    ['stopping', true],
    ['stopped', false],
    ['error', false],
  ] as const)('%s → %s', (state, alive) => {
    expect(isAlive(state)).toBe(alive);
  });
});
