export { ArgumentError, JsonValueError, PointerError, SysError } from './errors.js';
export {
  assertJson,
  cloneJson,
  describeNonJsonPrimitive,
  isPlainObject,
  type Json,
  type JsonArray,
  type JsonObject,
  type JsonPrimitive,
  jsonEqual,
  type Serializable,
  setOwn,
  type ToJsonOptions,
} from './json.js';
export {
  isAlive,
  LIFECYCLE_STATES,
  LIFECYCLE_TRIGGERS,
  LifecycleError,
  type LifecycleState,
  type LifecycleTrigger,
  transition,
} from './lifecycle.js';
export { JsonMemo, type JsonMemoOptions, type MemoKey } from './memo.js';
export { appendPointer, escapePointerToken, parsePointer, toPointer } from './pointer.js';
export { isSealed, markSealed, sealJson, sealParsed } from './seal.js';
export { type DelayOptions, delay, type WaitStart, waitFor } from './wait.js';
