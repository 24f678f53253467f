/**
 * Generates schema/state.schema.json (JSON Schema draft-07) from the `SystemJson` type, so the wire format
 * is declared once, in TypeScript, and checked against real output by src/schema.test.ts.
 * Run: pnpm --filter @sys/system-manager schema
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGenerator } from 'ts-json-schema-generator';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The schema of the complete state, as JSON text (stable key order, two-space indent). */
export function stateSchemaText(): string {
  const schema = createGenerator({
    path: join(root, 'src/wire.ts'),
    tsconfig: join(root, 'tsconfig.json'),
    type: 'SystemJson',
    expose: 'export',
    topRef: true,
    jsDoc: 'basic',
    additionalProperties: false,
    skipTypeCheck: true,
  }).createSchema('SystemJson');
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = join(root, 'schema/state.schema.json');
  writeFileSync(out, stateSchemaText());
  console.log(`wrote ${out}`);
}
