"""What a correct migration of a legacy directory must contain, computed from what DuckDB reads.

This is an independent implementation of the documented default policies (README "Policies"),
written in Python because Python's json module is what wrote legacy metadata: it reads NaN,
Infinity, big integers and keeps ints and floats apart exactly as the original data meant them.
"""
import json
import math
import struct


def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]


class Reject(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


def nested_json(v):
    return json.dumps(v, separators=(',', ':'), ensure_ascii=False, allow_nan=True)


def flatten(prefix, v, out):
    if isinstance(v, dict):
        for k, x in v.items():
            flatten(f'{prefix}.{k}', x, out)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            flatten(f'{prefix}.{i}', x, out)
    else:
        scalar(prefix, v, out, 'json')


def scalar(k, x, out, nested):
    if x is None:
        return
    if isinstance(x, bool) or isinstance(x, str):
        out[k] = x
    elif isinstance(x, int):
        out[k] = x if -2**63 <= x < 2**63 else str(x)
    elif isinstance(x, float):
        if math.isfinite(x):
            out[k] = x
    elif nested == 'json':
        out[k] = nested_json(x)
    elif nested == 'flatten':
        flatten(k, x, out)
    elif nested == 'drop':
        return
    else:
        raise Reject('metadata.nested')


def metadata(text, nested='json'):
    """Expected metadata (dict or None) for a legacy metadata cell, or raises Reject."""
    if text is None:
        return None
    try:
        v = json.loads(text)
    except ValueError:
        raise Reject('metadata.invalid_json')
    if isinstance(v, str):
        try:
            inner = json.loads(v)
            if inner is None or isinstance(inner, dict):
                v = inner
        except ValueError:
            pass
    if v is None:
        return None
    if not isinstance(v, dict):
        raise Reject('metadata.not_object')
    out = {}
    for k, x in v.items():
        if k in ('chroma:document', 'chroma:uri'):
            raise Reject('metadata.reserved_key')
        scalar(k, x, out, nested)
    return out or None


HNSW_INT_KEYS = ('hnsw:M', 'hnsw:construction_ef', 'hnsw:search_ef', 'hnsw:sync_threshold', 'hnsw:batch_size',
                 'hnsw:num_threads')


def collection_metadata(text, nested='json'):
    """Collection metadata: like record metadata, with hnsw:* numbers given as text made numbers."""
    m = metadata(text, nested)
    for k in list(m or {}):
        if k in HNSW_INT_KEYS and isinstance(m[k], str):
            m[k] = int(float(m[k]))
        elif k == 'hnsw:resize_factor' and isinstance(m[k], str):
            m[k] = float(m[k])
    return m


def space_of(collection_metadata_text):
    try:
        m = metadata(collection_metadata_text)
    except Reject:
        return 'l2'
    return (m or {}).get('hnsw:space', 'l2')


def expected(collections, embeddings, nested='json', duplicates='last', null_ids='uuid'):
    """Returns ({name: {'space', 'metadata', 'records': {id: (vec32, doc, meta)}}}, Counter of reject codes)."""
    from collections import Counter
    rejects = Counter()
    by_key = {}
    for c in collections:
        by_key[c['uuid']] = {'name': c['name'], 'space': space_of(c['metadata']),
                             'metadata': collection_metadata(c['metadata'], nested), 'records': {}, 'dim': None}
    for row in embeddings:
        coll = by_key.get(row['collection_uuid'])
        if coll is None:
            rejects['collection.orphan'] += 1
            continue
        rid = row['id']
        if rid is None:
            if null_ids == 'uuid' and row['uuid']:
                rid = row['uuid']
            else:
                rejects['id.null'] += 1
                continue
        emb = row['embedding']
        if emb is None:
            rejects['embedding.null'] += 1
            continue
        if len(emb) == 0:
            rejects['embedding.empty'] += 1
            continue
        if any(x is None for x in emb):
            rejects['embedding.null_element'] += 1
            continue
        if any(not math.isfinite(x) for x in emb):
            rejects['embedding.non_finite'] += 1
            continue
        if any(abs(x) > 3.4028234663852886e38 for x in emb):
            rejects['embedding.out_of_float32_range'] += 1
            continue
        try:
            meta = metadata(row['metadata'], nested)
        except Reject as r:
            rejects[r.code] += 1
            continue
        if coll['dim'] is None:
            coll['dim'] = len(emb)
        if len(emb) != coll['dim']:
            rejects['embedding.dimension_mismatch'] += 1
            continue
        rec = ([f32(x) for x in emb], row['document'], meta)
        if rid in coll['records']:
            if duplicates == 'last':
                rejects['id.duplicate_superseded'] += 1
                coll['records'][rid] = rec
            else:
                rejects['id.duplicate_ignored'] += 1
            continue
        coll['records'][rid] = rec
    return {c['name']: c for c in by_key.values()}, rejects
