export {
  ConfigError,
  type ConfigIssue,
  type FollowConfig,
  type IndicatorConfig,
  indicatorsOf,
  isParsedConfig,
  isReplicaConfig,
  loadConfig,
  loadServeConfig,
  type PublishConfig,
  parseConfig,
  parseServeConfig,
  type ReplicaConfig,
  type SessionConfig,
  type SessionConfigInput,
  type SourceConfig,
  sampleConfig,
} from './config.js';
export { SystemStateError } from './errors.js';
export {
  type SystemJsonOptions,
  SystemManager,
  type SystemManagerOptions,
  type SystemProgress,
  type SystemState,
} from './manager.js';
export type { SystemJson, SystemManagerJson } from './wire.js';
