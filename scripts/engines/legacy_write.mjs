// Writes a Chroma 0.3 (duckdb+parquet) persist directory with DuckDB, the way Chroma did:
// the exact DDL of chromadb/db/duckdb.py (trailing comma included), rows inserted in order,
// then `COPY (SELECT * FROM embeddings) TO '<dir>/chroma-embeddings.parquet' (FORMAT PARQUET)`
// and the same for collections. Extra COPY options exist only to exercise other encodings.
//
// usage: node legacy_write.mjs OUTDIR COLLECTIONS.ndjson EMBEDDINGS.ndjson
//          [--compression snappy|zstd|gzip|uncompressed|lz4|brotli] [--row-group-size N]
//          [--parquet-version v1|v2] [--no-collections-file] [--no-embeddings-file]
// Row objects: collections {uuid,name,metadata}; embeddings {collection_uuid,uuid,embedding,
// document,id,metadata}. Strings or null; embedding is null or an array whose elements are
// numbers, null, or "NaN"/"Infinity"/"-Infinity".
import fs from 'node:fs';
import path from 'node:path';
import { openMemory, sqlString } from './duckdb_common.mjs';

const args = process.argv.slice(2);
const [outDir, collFile, embFile] = args;
if (!outDir || !collFile || !embFile) {
  console.error('usage: node legacy_write.mjs OUTDIR COLLECTIONS.ndjson EMBEDDINGS.ndjson [options]');
  process.exit(2);
}
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const copyOptions = ['FORMAT PARQUET'];
if (opt('--compression')) copyOptions.push(`COMPRESSION ${opt('--compression')}`);
if (opt('--row-group-size')) copyOptions.push(`ROW_GROUP_SIZE ${Number(opt('--row-group-size'))}`);
if (opt('--parquet-version')) copyOptions.push(`PARQUET_VERSION ${opt('--parquet-version').toUpperCase()}`);

fs.mkdirSync(outDir, { recursive: true });
const conn = await openMemory();
await conn.run('CREATE TABLE collections ( uuid STRING, name STRING, metadata STRING,  )');
await conn.run('CREATE TABLE embeddings  ( collection_uuid STRING, uuid STRING, embedding DOUBLE[], document STRING, id STRING, metadata STRING,  )');

async function load(table, file, columns, select) {
  if (fs.statSync(file).size === 0) return;
  const cols = Object.entries(columns).map(([k, v]) => `${k}: '${v}'`).join(', ');
  await conn.run(`INSERT INTO ${table} SELECT ${select} FROM read_json(${sqlString(path.resolve(file))},
      format='newline_delimited', columns={${cols}}, maximum_object_size=1000000000)`);
}
await load('collections', collFile, { uuid: 'VARCHAR', name: 'VARCHAR', metadata: 'VARCHAR' }, 'uuid, name, metadata');
await load('embeddings', embFile,
  { collection_uuid: 'VARCHAR', uuid: 'VARCHAR', embedding: 'VARCHAR[]', document: 'VARCHAR', id: 'VARCHAR', metadata: 'VARCHAR' },
  'collection_uuid, uuid, CAST(embedding AS DOUBLE[]), document, id, metadata');

const copy = async (table, file) =>
  conn.run(`COPY (SELECT * FROM ${table}) TO ${sqlString(path.join(path.resolve(outDir), file))} (${copyOptions.join(', ')})`);
if (!args.includes('--no-embeddings-file')) await copy('embeddings', 'chroma-embeddings.parquet');
if (!args.includes('--no-collections-file')) await copy('collections', 'chroma-collections.parquet');
