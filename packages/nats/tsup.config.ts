import { packageBuild } from '../../tsup.shared.ts';

// The main entry, and `@sys/nats/testing` (a real nats-server for tests and benchmarks).
export default packageBuild({ entry: ['src/index.ts', 'src/testing.ts'] });
