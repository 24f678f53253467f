import { packageBuild } from '../../tsup.shared.ts';

// A binary, not a library: one entry, no type declarations.
export default packageBuild({ entry: ['src/sys.ts'], dts: false });
