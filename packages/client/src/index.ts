export { type BackoffOptions, backoffDelayMs } from './backoff.js';
export {
  type ClientCounters,
  type ClientStatus,
  createStateClient,
  type StateChange,
  type StateClient,
  type StateClientOptions,
  type StateListener,
  type TransportKind,
} from './client.js';
export { ConnectionLostError, ServerResponseError } from './errors.js';
export { type ApplyOutcome, Replica, type ResyncReason, type WireEnvelope } from './replica.js';
export { type SseEvent, SseParser } from './sse.js';
export type {
  EventSourceConstructor,
  EventSourceLike,
  FetchLike,
  WebSocketConstructor,
  WebSocketLike,
} from './transports.js';
