export { diffJson, isSealed, type JsonDiff, type PatchOp, patchByteSize, sealJson } from './diff.js';
export { JsonValueError, PatchError, PointerError, SysError } from './errors.js';
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
export {
  assertJson,
  cloneJson,
  isPlainObject,
  type Json,
  type JsonArray,
  type JsonObject,
  type JsonPrimitive,
  jsonByteSize,
  jsonEqual,
  jsonStringSize,
  type Serializable,
  setOwn,
  type ToJsonOptions,
} from './json.js';
export { applyPatch } from './patch.js';
export { appendPointer, escapePointerToken, parsePointer, toPointer } from './pointer.js';
export { type DiffResult, DiffTracker } from './tracker.js';
