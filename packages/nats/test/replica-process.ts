/**
 * A replica in its own process, for tests that kill it: `node --conditions=@sys/source --import tsx
 * replica-process.ts NATS_URL RUN CHECKPOINT_FILE`. Prints one JSON line when serving (`url`, `stats`),
 * then its stats every 100 ms; SIGTERM closes it cleanly.
 */
import { startReplica } from '../src/index.js';
import { checkpointingReplica } from './helpers.js';

const [url, run, checkpointFile] = process.argv.slice(2);
if (url === undefined || run === undefined || checkpointFile === undefined) {
  process.stderr.write('usage: replica-process.ts NATS_URL RUN CHECKPOINT_FILE\n');
  process.exit(2);
}
const replica = await startReplica(checkpointingReplica(url, run, checkpointFile));
const report = () =>
  process.stdout.write(`${JSON.stringify({ url: replica.server.url, stats: replica.follower.stats() })}\n`);
report();
const timer = setInterval(report, 100);
process.once('SIGTERM', () => {
  clearInterval(timer);
  void replica.close().then(() => process.exit(0));
});
