/** How long to wait before reconnecting: exponential growth with full jitter. */
export interface BackoffOptions {
  /** Cap of the first wait. Default 250 ms. */
  initialMs?: number;
  /** Most any wait can be. Default 30 s. */
  maxMs?: number;
  /** Growth of the cap per failed attempt. Default 2. */
  factor?: number;
  /** A number in [0, 1); default Math.random. Injected for deterministic tests. */
  random?: () => number;
}

/**
 * The wait before reconnect attempt `attempt` (0 for the first after a success): a uniformly random time
 * below `min(maxMs, initialMs · factor^attempt)` ("full jitter"), so clients dropped together by one
 * server restart do not all come back in the same millisecond.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 250;
  const max = options.maxMs ?? 30_000;
  const factor = options.factor ?? 2;
  const random = options.random ?? Math.random;
  const cap = Math.min(max, initial * factor ** Math.max(0, attempt));
  return Math.floor(random() * cap);
}
