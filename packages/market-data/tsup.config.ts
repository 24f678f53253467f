import { packageBuild } from '../../tsup.shared.ts';

// One entry per subpath export: the pure main entry and one per adapter, so importing the domain never
// loads node:fs or DuckDB.
export default packageBuild({
  entry: [
    'src/index.ts',
    'src/csv.ts',
    'src/parquet.ts',
    'src/duckdb.ts',
    'src/synthetic.ts',
    'src/ndjson.ts',
    'src/live.ts',
    'src/samples.ts',
  ],
});
