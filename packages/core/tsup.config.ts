import { packageBuild } from '../../tsup.shared.ts';

// The main entry (pure), and `@sys/core/fs` (file helpers).
export default packageBuild({ entry: ['src/index.ts', 'src/fs.ts'] });
