// Generates a clustered legacy (Chroma 0.3) directory for benchmarks, entirely inside DuckDB:
// N records of DIM dimensions around 100 random centers, with a document and metadata each,
// written with Chroma 0.3's DDL and COPY statement. Record i belongs to topic i % 100; ORDER
// "interleaved" (the default) stores them by i, so the topics take turns, "by-topic" stores one
// topic after another (as a source filled topic by topic would be). WORDS (default 0) appends
// that many words to each document, drawn from 5,000 made-up words of 2-10 letters: 150 give
// ~1,080 characters, the size of the chunks RAG pipelines store (the short default, ~58
// characters, leaves out the cost of Chroma's trigram full-text index).
// usage: node bench_data.mjs OUTDIR N DIM [SPACE [ORDER [WORDS]]]
import fs from 'node:fs';
import path from 'node:path';
import { openMemory, sqlString } from './duckdb_common.mjs';

const [outDir, nArg, dimArg, space = 'cosine', order = 'interleaved', wordsArg = '0'] = process.argv.slice(2);
const n = Number(nArg), dim = Number(dimArg), words = Number(wordsArg);
if (!outDir || !n || !dim || !['interleaved', 'by-topic'].includes(order) || !Number.isInteger(words) || words < 0) {
  console.error('usage: node bench_data.mjs OUTDIR N DIM [SPACE [interleaved|by-topic [WORDS]]]');
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
// Only with WORDS: the draws would change the default data's vectors, which earlier runs measured.
if (words > 0) {
  await conn.run(`CREATE TABLE vocabulary AS SELECT list(w) AS words FROM (SELECT array_to_string(
    list_transform(range(2 + (random() * 8)::INT), x -> chr(97 + (random() * 25)::INT)), '') AS w FROM range(5000))`);
}
const extraWords = words > 0
  ? ` || ' ' || array_to_string(list_transform(range(${words}), x -> vocabulary.words[1 + (random() * 4999)::INT]), ' ')`
  : '';
await conn.run(`INSERT INTO embeddings
  SELECT '${cuuid}', uuid()::VARCHAR,
         list_transform(c.v, x -> x + (random() - 0.5) * 0.6),
         'document ' || i || ' about topic ' || (i % 100) || ' with some more words to index'${extraWords},
         'id-' || i,
         '{"topic": ' || (i % 100) || ', "score": ' || round(random(), 4) || ', "tag": "t' || (i % 7) || '"}'
  FROM range(${n}) r(i) JOIN centers c ON c.cid = i % 100${words > 0 ? ' CROSS JOIN vocabulary' : ''} ORDER BY ${order === 'by-topic' ? 'i % 100, i' : 'i'}`);
await conn.run(`COPY (SELECT * FROM embeddings) TO ${sqlString(path.join(path.resolve(outDir), 'chroma-embeddings.parquet'))} (FORMAT PARQUET)`);
await conn.run(`COPY (SELECT * FROM collections) TO ${sqlString(path.join(path.resolve(outDir), 'chroma-collections.parquet'))} (FORMAT PARQUET)`);
