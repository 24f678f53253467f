// Imports one file into a store and reports progress on stdout; the crash test kills it mid-way.
import { BarStore } from '../src/duckdb.js';

const [storePath, file] = process.argv.slice(2);
if (storePath === undefined || file === undefined) throw new Error('usage: import-child <store> <file>');
const store = await BarStore.open(storePath, { mergeRows: 50_000 });
await store.importFile(file, { onProgress: (rows) => process.stdout.write(`rows ${rows}\n`) });
process.stdout.write('done\n');
await store.close();
