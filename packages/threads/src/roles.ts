import { isAlive, type Json, JsonMemo, type ToJsonOptions } from '@sys/core';
import type { TimingStats } from './apply.js';
import type { ReadAheadStats } from './read-ahead.js';
import type { RunState } from './run.js';

/** The names of the three roles, as the plan's workers were called. */
export const ROLE_NAMES = ['session_coordinator', 'data_upkeep', 'stream_coordinator'] as const;

/** One of {@link ROLE_NAMES}. */
export type RoleName = (typeof ROLE_NAMES)[number];

/** A JSON object under construction. */
export type JsonFields = Record<string, Json>;

/** What every role's JSON shows of the run around it. */
export interface RoleContext {
  readonly state: RunState;
  readonly error: Error | null;
  readonly daemon: boolean;
}

/** One role of the run, as the JSON shows it. */
export interface RoleSpec {
  /** Its own fields. */
  readonly fields: JsonFields;
  /** With debug: how long its work took. */
  readonly timing: TimingStats;
  /** With debug: the queues it reads from, by name. */
  readonly queues?: Readonly<Record<string, ReadAheadStats>>;
}

/**
 * One role's JSON: `thread_info { name, is_alive, daemon }`, `state` and `error` of the run, the role's own
 * fields, and with debug `performance` and `queues`. The three roles are not workers any more but views of
 * one loop, so their state is the run's.
 */
export function roleJson(name: string, run: RoleContext, role: RoleSpec, debug: boolean): JsonFields {
  const error = run.error;
  const out: JsonFields = {
    thread_info: { name, is_alive: isAlive(run.state), daemon: run.daemon },
    state: run.state,
    error: error === null ? null : { name: error.name, code: errorCode(error), message: error.message },
    ...role.fields,
  };
  if (debug) {
    out.performance = { ...role.timing };
    const queues: JsonFields = {};
    for (const [q, stats] of Object.entries(role.queues ?? {})) queues[q] = { ...stats };
    out.queues = queues;
  }
  return out;
}

/**
 * The `threads` object, `{ session_coordinator, data_upkeep, stream_coordinator }`, rebuilt only when the
 * run's version moved: the same frozen object otherwise, so a differ skips it by reference.
 */
export class ThreadsProjection {
  readonly #build: (debug: boolean) => Record<RoleName, JsonFields>;
  readonly #memo = new JsonMemo();

  constructor(build: (debug: boolean) => Record<RoleName, JsonFields>) {
    this.#build = build;
  }

  /** The threads JSON for a run at `version`. */
  get(version: number, options?: ToJsonOptions): Json {
    return this.#memo.get(options, version, (debug) => {
      const roles = this.#build(debug);
      return {
        session_coordinator: roles.session_coordinator,
        data_upkeep: roles.data_upkeep,
        stream_coordinator: roles.stream_coordinator,
      };
    });
  }
}

function errorCode(error: Error): string | null {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : null;
}
