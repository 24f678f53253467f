export {
  CHECKPOINT_FORMAT,
  type Checkpoint,
  type CheckpointRead,
  type CheckpointRejection,
  readCheckpoint,
} from './checkpoint.js';
export { connectNats, type NatsConnectOptions, parseServers, redact } from './connect.js';
export { NatsError } from './errors.js';
export { Follower, type FollowerOptions, type FollowerStats } from './follower.js';
export { type RunNames, runNames, SNAPSHOT_OBJECT } from './names.js';
export { PUBLISH_DEFAULTS, Publisher, type PublisherOptions, type PublisherStats } from './publisher.js';
export {
  type OwnedPublisher,
  type Replica,
  type ReplicaOptions,
  startPublishing,
  startReplica,
} from './replica.js';
export { natsStatus, type RunStatus } from './status.js';
