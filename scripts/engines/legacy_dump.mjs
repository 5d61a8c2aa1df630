// Prints what DuckDB itself reads from a legacy persist directory's parquet files, as NDJSON
// in file order: {"table":"collections",...} rows, then {"table":"embeddings",...} rows.
// Embedding elements are JSON numbers (exact doubles), null, or "NaN"/"Infinity"/"-Infinity".
// This is the oracle the tests compare chroma-migrate's parquet reader and migrations against.
// usage: node legacy_dump.mjs DIR [--file NAME.parquet]   (--file dumps one file's columns)
import path from 'node:path';
import { openMemory, sqlString } from './duckdb_common.mjs';

const args = process.argv.slice(2);
const dir = args[0];
const conn = await openMemory();
await conn.run('SET preserve_insertion_order = true');

async function dump(table, file) {
  const reader = await conn.runAndReadAll(`SELECT * FROM read_parquet(${sqlString(file)})`);
  for (const row of reader.getRowObjectsJson()) {
    process.stdout.write(JSON.stringify({ table, ...row }) + '\n');
  }
}
const fi = args.indexOf('--file');
if (fi >= 0) {
  await dump('file', path.resolve(dir, args[fi + 1]));
} else {
  await dump('collections', path.resolve(dir, 'chroma-collections.parquet'));
  await dump('embeddings', path.resolve(dir, 'chroma-embeddings.parquet'));
}
