"""Legacy (Chroma 0.3) directories made for tests: rows built here, written by DuckDB exactly as
Chroma 0.3 wrote them (scripts/engines/legacy_write.mjs). Metadata text is produced by Python's
json.dumps, the same call Chroma 0.3 used, so NaN, Infinity, \\u escapes and big ints look real.
"""
import json
import random
import uuid as uuidlib


def u(rng):
    return str(uuidlib.UUID(int=rng.getrandbits(128), version=4))


def clustered(rng, n, dim, clusters=12, spread=0.08):
    centers = [[rng.uniform(-1, 1) for _ in range(dim)] for _ in range(clusters)]
    return [[c + rng.gauss(0, spread) for c in centers[i % clusters]] for i in range(n)]


def policy_dataset(seed=1):
    """Every policy case in one directory. Returns (collections, embeddings) row lists."""
    rng = random.Random(seed)
    dim = 8
    c_pol, c_cos, c_ip, c_empty = u(rng), u(rng), u(rng), u(rng)
    collections = [
        {'uuid': c_pol, 'name': 'policies', 'metadata': json.dumps({'owner': 'test', 'nested': {'a': [1, 2]}})},
        {'uuid': c_cos, 'name': 'cosine-coll',
         'metadata': json.dumps({'hnsw:space': 'cosine', 'hnsw:M': '32', 'hnsw:construction_ef': 128})},
        {'uuid': c_ip, 'name': 'ip_coll', 'metadata': json.dumps(json.dumps({'hnsw:space': 'ip', 'k': 1.5}))},
        {'uuid': c_empty, 'name': 'empty-one', 'metadata': 'null'},
    ]
    rows = []

    def add(coll, rid, emb, doc=None, meta=None):
        rows.append({'collection_uuid': coll, 'uuid': u(rng), 'embedding': emb, 'document': doc, 'id': rid,
                     'metadata': meta})

    vec = lambda: [rng.uniform(-1, 1) for _ in range(dim)]
    metas = [
        None, 'null', '{}', json.dumps({'s': 'x', 'i': 3, 'f': 1.0, 'b': True, 'neg': -7, 'tiny': 1e-300}),
        json.dumps({'u': 'caf\u00e9 \u4e2d \U0001F600', 'quote': 'a"b\\c\n'}),
        json.dumps({'n': None, 'nan': float('nan'), 'inf': float('inf'), 'ninf': float('-inf'), 'ok': 2}),
        json.dumps({'big': 123456789012345678901234567890, 'max': 2**63 - 1, 'min': -2**63}),
        json.dumps({'obj': {'z': 1, 'a': [1, 2.5, 'x', None]}, 'list': [True, 'y'], 'empty': {}}),
        json.dumps(json.dumps({'double': 'encoded', 'v': 1})),
        json.dumps({'float_int': 5.0, 'exp': 1e20, 'small': 0.1}),
    ]
    for i in range(60):
        add(c_pol, f'rec-{i}', vec(), doc=f'document {i} ' + ('apple' if i % 3 == 0 else 'banana') if i % 5 else None,
            meta=metas[i % len(metas)])
    add(c_pol, None, vec(), 'null id', None)                     # NULL id -> uuid
    add(c_pol, 'dup', vec(), 'first', json.dumps({'v': 1}))      # duplicate ids: last wins
    add(c_pol, 'dup', vec(), 'second', json.dumps({'v': 2}))
    add(c_pol, 'dup', vec(), 'third', json.dumps({'v': 3}))
    add(c_pol, 'empty-emb', [], 'x', None)                       # rejected
    add(c_pol, 'null-emb', None, 'x', None)                      # rejected
    add(c_pol, 'nan-emb', vec()[:-1] + ['NaN'], 'x', None)       # rejected
    add(c_pol, 'null-elem', vec()[:-1] + [None], 'x', None)      # rejected
    add(c_pol, 'huge', vec()[:-1] + [1e300], 'x', None)          # rejected: not a float32
    add(c_pol, 'wrong-dim', vec() + [0.5], 'x', None)            # rejected: dimension
    add(c_pol, 'not-object', vec(), 'x', '[1, 2]')               # rejected
    add(c_pol, 'bad-json', vec(), 'x', '{"a": ')                 # rejected
    add(c_pol, 'reserved', vec(), 'x', json.dumps({'chroma:document': 'sneaky'}))  # rejected
    add(u(rng), 'orphan', vec(), 'x', None)                      # rejected: no such collection
    for i, v in enumerate(clustered(rng, 300, 16)):
        add(c_cos, f'cos-{i}', v, f'cosine doc {i}', json.dumps({'i': i}))
    for i, v in enumerate(clustered(rng, 200, 12)):
        add(c_ip, f'ip-{i}', v, None, json.dumps({'i': i, 'half': i / 2}))
    first = rows[:5]
    rest = rows[5:]
    rng.shuffle(rest)  # collections interleave in the file, as in real legacy data
    return collections, first + rest


def arithmetic_dataset(seed=4):
    """recall_dataset's three spaces, smaller, and an L2 collection whose vectors sit around a large
    common offset with a tiny spread: 16-bit fixed point cannot resolve it, so its graph must be
    built in float32."""
    collections, rows = recall_dataset(seed, n=1500)
    rng = random.Random(seed + 1000)
    cu = u(rng)
    collections.append({'uuid': cu, 'name': 'offset-l2', 'metadata': json.dumps({'hnsw:space': 'l2'})})
    for i, v in enumerate(clustered(rng, 300, 16, clusters=10, spread=0.002)):
        rows.append({'collection_uuid': cu, 'uuid': u(rng), 'embedding': [1000 + x * 0.01 for x in v],
                     'document': f'offset {i}', 'id': f'offset-{i}', 'metadata': None})
    return collections, rows


def recall_dataset(seed=2, n=3000, dim=48):
    rng = random.Random(seed)
    collections, rows = [], []
    for space in ('l2', 'cosine', 'ip'):
        cu = u(rng)
        collections.append({'uuid': cu, 'name': f'clustered-{space}', 'metadata': json.dumps({'hnsw:space': space})})
        for i, v in enumerate(clustered(rng, n, dim, clusters=30, spread=0.15)):
            if space == 'ip':
                norm = sum(x * x for x in v) ** 0.5
                v = [x / norm for x in v]  # ip recall is only meaningful on comparable norms
            rows.append({'collection_uuid': cu, 'uuid': u(rng), 'embedding': v, 'document': f'{space} {i}',
                         'id': f'{space}-{i}', 'metadata': json.dumps({'cluster': i % 30})})
    return collections, rows


def long_documents_dataset(seed=7):
    """Two collections whose documents are RAG-size chunks (1,500 to 6,000 characters of lower-case
    words, some not ASCII, "the" one word in ten): the full-text index then has doclists over
    many pages, with doclist indexes, and position lists split across pages. Each record with index divisible by 37 also
    holds a word of its own ("marker<i>"); an empty document and documents shorter than a trigram
    are among them."""
    rng = random.Random(seed)
    vocabulary = [''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rng.randint(2, 9)))
                  for _ in range(400)] + ['naïve', 'émigré', '日本語の', 'straße', 'ünïcödé']
    collections, rows = [], []
    for name, n in (('chapters-a', 500), ('chapters-b', 300)):
        cu = u(rng)
        collections.append({'uuid': cu, 'name': name, 'metadata': json.dumps({'hnsw:space': 'cosine'})})
        for i, v in enumerate(clustered(rng, n, 24, clusters=8, spread=0.1)):
            # "the" as one word in ten: its trigrams' doclists span many pages.
            words = [rng.choice(vocabulary) if rng.random() < 0.9 else 'the' for _ in range(rng.randint(250, 1000))]
            if i % 37 == 0:
                words.insert(rng.randrange(len(words)), f'marker{name[-1]}{i}')
            doc = ' '.join(words)[:rng.randint(1500, 6000)]
            if i == 5:
                doc = ''
            elif i == 6:
                doc = 'ab'
            rows.append({'collection_uuid': cu, 'uuid': u(rng), 'embedding': v, 'document': doc,
                         'id': f'{name}-{i}', 'metadata': json.dumps({'i': i})})
    return collections, rows
