"""Writes the bundled example: a small Chroma 0.3 persist directory, made with DuckDB exactly as
Chroma 0.3 made them, with the quirks real legacy data has (a duplicate id, a NULL id, nested
and NaN metadata, a cosine collection with string hnsw params), plus the index/ folder Chroma 0.3
kept beside the parquet files (tools/write_legacy_index, when it has been built: CM_BUILD_DIR or
./build), so the migration shows a graph reused (articles) and one that cannot be (notes: an id
repeats).
usage: python3 make_example.py OUTDIR"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import uuid

root = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
out = sys.argv[1]
rng = random.Random(2023)


def u():
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


topics = ['databases', 'embeddings', 'migrations', 'python', 'search', 'vectors']
articles, notes = u(), u()
collections = [
    {'uuid': articles, 'name': 'articles', 'metadata': json.dumps({'hnsw:space': 'cosine', 'hnsw:M': '16'})},
    {'uuid': notes, 'name': 'notes', 'metadata': 'null'},
]
centers = {t: [rng.uniform(-1, 1) for _ in range(32)] for t in topics}
rows = []
for i in range(240):
    t = topics[i % len(topics)]
    vec = [c + rng.gauss(0, 0.2) for c in centers[t]]
    meta = {'topic': t, 'year': 2019 + i % 5, 'score': round(rng.random(), 3), 'draft': i % 7 == 0}
    if i % 40 == 0:
        meta['tags'] = [t, 'featured']  # nested: becomes a JSON string
    if i % 50 == 0:
        meta['rating'] = float('nan')   # non-finite: dropped
    rows.append({'collection_uuid': articles, 'uuid': u(), 'embedding': vec,
                 'document': f'Article {i} about {t}.', 'id': f'article-{i}', 'metadata': json.dumps(meta)})
for i in range(60):
    vec = [rng.uniform(-1, 1) for _ in range(8)]
    rows.append({'collection_uuid': notes, 'uuid': u(), 'embedding': vec, 'document': f'note {i}',
                 'id': None if i == 5 else f'note-{i}', 'metadata': None})
rows.append(dict(rows[-1], uuid=u(), document='note 59, edited'))  # same id again: last wins
work = tempfile.mkdtemp()
with open(os.path.join(work, 'c.ndjson'), 'w') as f:
    f.writelines(json.dumps(c) + '\n' for c in collections)
with open(os.path.join(work, 'e.ndjson'), 'w') as f:
    f.writelines(json.dumps(r) + '\n' for r in rows)
shutil.rmtree(out, ignore_errors=True)
subprocess.run(['node', os.path.join(root, 'scripts', 'engines', 'legacy_write.mjs'), out,
                os.path.join(work, 'c.ndjson'), os.path.join(work, 'e.ndjson')], check=True)
shutil.rmtree(work)
print(f'wrote {out}: {len(collections)} collections, {len(rows)} rows')
sys.path.insert(0, os.path.join(root, 'tests', 'integration'))
from harness import engines  # noqa: E402
from harness.legacy_index import write_legacy_index  # noqa: E402
if os.path.exists(os.path.join(engines.BUILD, 'write_legacy_index')):
    write_legacy_index(out, {articles: 'cosine', notes: 'l2'})
    print(f'wrote {out}/index: the HNSW graphs Chroma 0.3 kept beside its parquet files')
else:
    print(f'no index/ written: build {engines.BUILD}/write_legacy_index first')
