export { diffJson, type JsonDiff, type PatchOp, patchByteSize } from './diff.js';
export { PatchError } from './errors.js';
export {
  ChangeFeed,
  type ChangeFeedOptions,
  ConsumerNameError,
  type ConsumerStats,
  type DeltaEnvelope,
  type Envelope,
  type FeedRead,
  type ReadOptions,
  type SnapshotEnvelope,
  type SnapshotReason,
  type StateSource,
} from './feed.js';
export { fingerprint } from './fingerprint.js';
export { jsonByteSize, jsonStringSize, utf8Length } from './json.js';
export { type ApplyPatchOptions, applyPatch } from './patch.js';
export { type DiffResult, DiffTracker } from './tracker.js';
