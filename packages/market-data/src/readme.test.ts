import { testReadmeExamples } from '../../../scripts/readme-examples.mjs';

// The example imports the store and opens it under an empty temp cwd, so it runs slower than most.
testReadmeExamples(new URL('../README.md', import.meta.url), { timeoutMs: 120_000 });
