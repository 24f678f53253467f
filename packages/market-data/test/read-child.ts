// Opens a store read-only and prints its coverage as JSON: the read-only test runs it as another user.
import { BarStore } from '../src/duckdb.js';

const [storePath, mode] = process.argv.slice(2);
if (storePath === undefined) throw new Error('usage: read-child <store> [read-write]');
const store = await BarStore.open(storePath, { readOnly: mode !== 'read-write', create: false });
process.stdout.write(`${JSON.stringify(await store.coverage())}\n`);
await store.close();
