import { SysError } from '@sys/core';

/** The server answered with an error status, an error message, or a body that is not what the route sends. */
export class ServerResponseError extends SysError {
  /** HTTP status (0 when the error came over a WebSocket or the stream itself). */
  readonly status: number;
  /** The server's error code (`{ error: { code } }`), when it sent one. */
  readonly serverCode: string | undefined;

  constructor(where: string, status: number, serverCode: string | undefined, detail: string) {
    super(
      'SERVER_RESPONSE',
      `${where}: ${status === 0 ? '' : `HTTP ${status} `}${serverCode === undefined ? '' : `${serverCode} `}${detail}`,
    );
    this.status = status;
    this.serverCode = serverCode;
  }
}

/** The connection dropped or could not be made; the client reconnects by itself. */
export class ConnectionLostError extends SysError {
  constructor(where: string, detail: string, options?: { cause?: unknown }) {
    super('CONNECTION_LOST', `${where}: ${detail}; reconnecting with backoff`, options);
  }
}
