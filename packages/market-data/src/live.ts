// `@sys/market-data/live`: live bar feeds (adapters: sockets and files) — WebSocket feeds in Alpaca v2 and
// Polygon aggregate-minute format with reconnect and backfill, NDJSON from stdin, a tailed file or TCP, and
// a replay server that serves stored bars as such a feed.
export { LiveFeedError } from './errors.js';
export {
  FEED_FORMATS,
  type FeedFormat,
  type FeedMessage,
  feedItem,
  handshakeMessages,
  readFeedMessage,
} from './feed-formats.js';
export { type FeedReplayOptions, FeedReplayServer, type FeedReplayStatus } from './feed-server.js';
export {
  type Backfill,
  type BackoffOptions,
  type FeedState,
  type FeedStatus,
  WsBarFeed,
  type WsBarFeedOptions,
} from './live-feed.js';
export { fileChunks, type NdjsonFeedStatus, ndjsonBatches, tailChunks, tcpChunks } from './live-ndjson.js';
