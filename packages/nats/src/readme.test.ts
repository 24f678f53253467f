import { afterAll, beforeAll } from 'vitest';
import { testReadmeExamples } from '../../../scripts/readme-examples.mjs';
import { NatsServer } from './testing.js';

// The example reads NATS_URL: a real nats-server of this test's own, on a free port.
let nats: NatsServer | undefined;
beforeAll(async () => {
  nats = await NatsServer.start();
  process.env.NATS_URL = nats.url;
});
afterAll(async () => {
  await nats?.dispose();
});

testReadmeExamples(new URL('../README.md', import.meta.url));
