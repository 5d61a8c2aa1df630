// Generates a clustered legacy (Chroma 0.3) directory for benchmarks, entirely inside DuckDB:
// N records of DIM dimensions around 100 random centers, with a document and metadata each,
// written with Chroma 0.3's DDL and COPY statement. Record i belongs to topic i % 100; ORDER
// "interleaved" (the default) stores them by i, so the topics take turns, "by-topic" stores one
// topic after another (as a source filled topic by topic would be).
// usage: node bench_data.mjs OUTDIR N DIM [SPACE [ORDER]]
import fs from 'node:fs';
import path from 'node:path';
import { openMemory, sqlString } from './duckdb_common.mjs';

const [outDir, nArg, dimArg, space = 'cosine', order = 'interleaved'] = process.argv.slice(2);
const n = Number(nArg), dim = Number(dimArg);
if (!outDir || !n || !dim || !['interleaved', 'by-topic'].includes(order)) {
  console.error('usage: node bench_data.mjs OUTDIR N DIM [SPACE [interleaved|by-topic]]');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
const conn = await openMemory();
await conn.run(`SET threads = 2`);
await conn.run(`SELECT setseed(0.42)`);
await conn.run('CREATE TABLE collections ( uuid STRING, name STRING, metadata STRING,  )');
await conn.run('CREATE TABLE embeddings  ( collection_uuid STRING, uuid STRING, embedding DOUBLE[], document STRING, id STRING, metadata STRING,  )');
const cuuid = '5a1e0c3e-7b7e-4f5e-9a55-0c0ffee00001';
await conn.run(`INSERT INTO collections VALUES ('${cuuid}', 'bench', '{"hnsw:space": "${space}"}')`);
await conn.run(`CREATE TABLE centers AS SELECT c AS cid, list_transform(range(${dim}), x -> random() * 2 - 1) AS v FROM range(100) t(c)`);
await conn.run(`INSERT INTO embeddings
  SELECT '${cuuid}', uuid()::VARCHAR,
         list_transform(c.v, x -> x + (random() - 0.5) * 0.6),
         'document ' || i || ' about topic ' || (i % 100) || ' with some more words to index',
         'id-' || i,
         '{"topic": ' || (i % 100) || ', "score": ' || round(random(), 4) || ', "tag": "t' || (i % 7) || '"}'
  FROM range(${n}) r(i) JOIN centers c ON c.cid = i % 100 ORDER BY ${order === 'by-topic' ? 'i % 100, i' : 'i'}`);
await conn.run(`COPY (SELECT * FROM embeddings) TO ${sqlString(path.join(path.resolve(outDir), 'chroma-embeddings.parquet'))} (FORMAT PARQUET)`);
await conn.run(`COPY (SELECT * FROM collections) TO ${sqlString(path.join(path.resolve(outDir), 'chroma-collections.parquet'))} (FORMAT PARQUET)`);
