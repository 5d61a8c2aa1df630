// Writes one parquet file with DuckDB from a SQL query, for reader tests that need shapes the
// legacy writer does not produce (FLOAT or integer lists, flat numeric columns, many row groups):
//   COPY (<query>) TO '<out>' (FORMAT PARQUET[, <options>])
// and prints parquet_metadata() of the result as NDJSON, so tests can check that the file really
// has the encodings, codecs and page versions they claim to cover.
// usage: node parquet_copy.mjs OUT.parquet "<select query>" ["<extra COPY options>"]
//        node parquet_copy.mjs --metadata FILE.parquet
import { openMemory, sqlString } from './duckdb_common.mjs';

const args = process.argv.slice(2);
const conn = await openMemory();
async function printMetadata(file) {
  const r = await conn.runAndReadAll(`SELECT row_group_id, path_in_schema, type, encodings, compression, num_values,
      total_compressed_size, total_uncompressed_size FROM parquet_metadata(${sqlString(file)})`);
  for (const row of r.getRowObjectsJson()) process.stdout.write(JSON.stringify(row) + '\n');
}
if (args[0] === '--metadata') {
  await printMetadata(args[1]);
} else {
  const [out, query, extra] = args;
  if (!out || !query) {
    console.error('usage: node parquet_copy.mjs OUT.parquet "<select query>" ["<extra COPY options>"]');
    process.exit(2);
  }
  const options = ['FORMAT PARQUET'];
  if (extra) options.push(extra);
  await conn.run(`COPY (${query}) TO ${sqlString(out)} (${options.join(', ')})`);
  await printMetadata(out);
}
