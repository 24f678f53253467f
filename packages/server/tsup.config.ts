import { packageBuild } from '../../tsup.shared.ts';

// The main entry, and `@sys/server/testing` (a fast-json-patch copy of the state for tests).
export default packageBuild({ entry: ['src/index.ts', 'src/testing.ts'] });
