export type { Connection, ConnectionLimits } from './connection.js';
export { type ErrorBody, HttpError } from './errors.js';
export { type Prepared, type ServerSnapshotReason, StateHub, type StateHubOptions, View } from './hub.js';
export { ServerMetrics, type Transport } from './metrics.js';
export { formatPosition, type Position, parsePosition } from './position.js';
export {
  type ClientStats,
  type ServerOptions,
  ServerOptionsError,
  type SysServer,
  startServer,
} from './server.js';
export { FILTER_LIMITS, parseViewSpec, projection, type ViewSpec, viewKey } from './view.js';
