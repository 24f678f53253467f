import { NatsError } from './errors.js';

/** The NATS names one run uses: its stream, the envelopes' subject, the snapshot and status buckets. */
export interface RunNames {
  readonly run: string;
  /** JetStream stream holding the envelopes (stream names cannot hold dots). */
  readonly stream: string;
  /** Subject of every envelope: `sys.<run>.env`. */
  readonly subject: string;
  /** Object store bucket of snapshots of the complete state. */
  readonly snapshots: string;
  /** Key-value bucket where the publisher and each follower report their position. */
  readonly status: string;
}

const RUN = /^[A-Za-z0-9_-]{1,64}$/;

/** The names of run `run`; throws a NatsError when the name could not be a NATS token. */
export function runNames(run: string): RunNames {
  if (!RUN.test(run)) {
    throw new NatsError(
      'NATS_RUN_NAME',
      `--name must be 1-64 letters, digits, '_' or '-' (it becomes a NATS subject token), got ${JSON.stringify(run)}`,
    );
  }
  return {
    run,
    stream: `sys_${run}`,
    subject: `sys.${run}.env`,
    snapshots: `sys_${run}_snap`,
    status: `sys_${run}_status`,
  };
}

/** Name of the one object a snapshot bucket holds: the latest snapshot. */
export const SNAPSHOT_OBJECT = 'latest';
