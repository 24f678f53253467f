import { SysError } from '@sys/core';

/** An error answered over HTTP: a status and a stable code, sent as `{ error: { code, message } }`. */
export class HttpError extends SysError {
  /** HTTP status to answer with (4xx for the request's fault, 5xx for the server's). */
  readonly status: number;

  constructor(status: number, code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = status;
  }
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

/** The body for `error`, whatever it is; internal details are not leaked for unexpected errors. */
export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}
