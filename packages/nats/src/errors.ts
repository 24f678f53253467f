import { SysError } from '@sys/core';

/** A NATS problem named by where it happened: a URL, a run name, a stream, an option. */
export class NatsError extends SysError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
