// Pre-encodes Chroma /add request bodies from a legacy directory, read by DuckDB, so that the
// benchmark times only the server's ingest: OUTDIR/body-00000.json … (ids, embeddings,
// documents, metadatas; metadata JSON parsed as Chroma 0.3 stored it). Embedding values are
// written with 9 significant digits (exact for float32, which is what Chroma stores), and a
// batch is cut early when its body would pass 36 MiB (the Rust server refuses bodies > 40 MiB).
// usage: node bench_bodies.mjs LEGACY_DIR BATCH OUTDIR
import fs from 'node:fs';
import path from 'node:path';
import { openMemory, sqlString } from './duckdb_common.mjs';

const [dir, batchArg, outDir] = process.argv.slice(2);
const batch = Number(batchArg);
fs.mkdirSync(outDir, { recursive: true });
const conn = await openMemory();
const file = sqlString(path.resolve(dir, 'chroma-embeddings.parquet'));
const total = Number((await conn.runAndReadAll(`SELECT count(*) AS n FROM read_parquet(${file})`)).getRowObjectsJson()[0].n);
for (let offset = 0, k = 0; offset < total; offset += batch, ++k) {
  const rows = (await conn.runAndReadAll(
    `SELECT id, embedding, document, metadata FROM read_parquet(${file}) LIMIT ${batch} OFFSET ${offset}`)).getRowObjectsJson();
  const body = {
    ids: rows.map((r) => r.id),
    embeddings: rows.map((r) => r.embedding.map((x) => Number(Math.fround(x).toPrecision(9)))),
    documents: rows.map((r) => r.document),
    metadatas: rows.map((r) => (r.metadata ? JSON.parse(r.metadata) : null)),
  };
  // Split into pieces that fit the body limit.
  const text = JSON.stringify(body);
  const pieces = Math.ceil(text.length / (36 * 1024 * 1024));
  const per = Math.ceil(rows.length / pieces);
  for (let p = 0; p < pieces; ++p) {
    const part = {};
    for (const key of Object.keys(body)) part[key] = body[key].slice(p * per, (p + 1) * per);
    fs.writeFileSync(path.join(outDir, `body-${String(k).padStart(5, '0')}-${p}.json`), JSON.stringify(part));
  }
}
