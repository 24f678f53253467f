import { packageProject } from '../vitest.shared.ts';

export default packageProject('scripts', { include: ['*.test.ts'] });
