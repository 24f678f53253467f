import { testReadmeExamples } from '../../../scripts/readme-examples.mjs';

testReadmeExamples(new URL('../README.md', import.meta.url));
