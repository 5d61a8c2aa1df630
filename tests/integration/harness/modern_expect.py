"""An independent reading of a modern (0.4–1.x) persist directory, in plain Python.

Used as the oracle where the real Chroma 1.0.19 server cannot open a source (the dev-branch
metadb "00004-segment_id" fixture), and to cross-check the server where it can. It follows
spec/modern-format.md §8 without sharing code with chroma-migrate: the sqlite3 module (opened
with mode=ro&immutable=1 on the caller's copy), a restricted unpickler that never resolves a
class, and struct for the HNSW files (as spec/format-tools/hnswdump.py does).

view(dir) -> {(tenant, database): {name: {'space', 'metadata', 'dimension', 'records':
              {id: (embedding list, document, metadata dict or None)}}}}
"""
import json
import os
import pickle
import sqlite3
import struct

DOC, URI = 'chroma:document', 'chroma:uri'


class _Inert:
    def __init__(self, *a, **k):
        pass

    def __setstate__(self, state):
        self.__dict__.update(state)


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module, name):  # never import anything
        return _Inert


def _load_pickle(path):
    with open(path, 'rb') as f:
        obj = _SafeUnpickler(f).load()
    return obj if isinstance(obj, dict) else obj.__dict__


def connect(db_path):
    return sqlite3.connect(f'file:{db_path}?mode=ro&immutable=1', uri=True)


def _cols(c, table):
    return {r[1] for r in c.execute(f'pragma table_info({table})')}


def _tables(c):
    return {r[0] for r in c.execute("select name from sqlite_master where type='table'")}


def _typed(s, i, f, b):
    if s is not None:
        return s
    if i is not None:
        return int(i)
    if f is not None:
        return float(f)
    if b is not None:
        return bool(b)
    return None


def _meta_rows(c, table, idcol, ident):
    cols = _cols(c, table)
    b = 'bool_value' if 'bool_value' in cols else 'NULL'
    out = {}
    for k, s, i, f, bb in c.execute(
            f'select key, str_value, int_value, float_value, {b} from {table} where {idcol}=? order by rowid', (ident,)):
        v = _typed(s, i, f, bb)
        if v is not None:
            out[k] = v
    return out or None


def _space(schema_str, config_str, seg_meta):
    space = 'l2'
    found = False
    if schema_str:
        s = json.loads(schema_str)
        cfg = (((s.get('keys') or {}).get('#embedding') or {}).get('float_list') or {}).get('vector_index', {}).get('config')
        if cfg is None:
            cfg = ((s.get('defaults') or {}).get('float_list') or {}).get('vector_index', {}).get('config')
        if cfg is not None:
            space, found = cfg.get('space') or 'l2', True
    if not found and config_str:
        cfg = json.loads(config_str)
        h = (cfg.get('vector_index') or {}).get('hnsw') or cfg.get('hnsw_configuration') or {}
        space = h.get('space') or 'l2'
    if space == 'l2' and seg_meta and 'hnsw:space' in seg_meta:
        space = seg_meta['hnsw:space']
    return space


def _seq(v):
    if isinstance(v, bytes):
        return int.from_bytes(v, 'big')
    return v


def _hnsw_vectors(folder, space):
    """{internal slot: (label, vector)} of live slots; cosine vectors multiplied by their norm."""
    h = open(os.path.join(folder, 'header.bin'), 'rb').read()
    (_, _, _, cur, sdpe, labofs, offdata, *_rest) = struct.unpack('<i Q Q Q Q Q Q i I Q Q Q d Q', h)
    dim = (labofs - offdata) // 4
    dl0 = open(os.path.join(folder, 'data_level0.bin'), 'rb').read()
    ln = open(os.path.join(folder, 'length.bin'), 'rb').read() if space == 'cosine' else b''
    out = {}
    for i in range(cur):
        base = i * sdpe
        if dl0[base + 2] & 1:
            continue
        vec = list(struct.unpack_from('<%df' % dim, dl0, base + offdata))
        label = struct.unpack_from('<Q', dl0, base + labofs)[0]
        if space == 'cosine':
            n = struct.unpack_from('<f', ln, i * 4)[0]
            vec = [x * n for x in vec]
        out[label] = vec
    return out


def view(persist_dir):
    c = connect(os.path.join(persist_dir, 'chroma.sqlite3'))
    tables = _tables(c)
    ccols = _cols(c, 'collections')
    dbs = {}
    if 'databases' in tables:
        for i, name, tenant in c.execute('select id, name, tenant_id from databases'):
            dbs[i] = (tenant, name)
    segs = {}
    for sid, scope, coll in c.execute('select id, scope, collection from segments'):
        segs.setdefault(coll, {})[scope] = sid
    sel = ['id', 'name', 'dimension',
           'database_id' if 'database_id' in ccols else 'NULL',
           'config_json_str' if 'config_json_str' in ccols else 'NULL',
           'schema_str' if 'schema_str' in ccols else 'NULL']
    result = {}
    emcols = _cols(c, 'embedding_metadata')
    bsel = 'm.bool_value' if 'bool_value' in emcols else 'NULL'
    for cid, name, dim, dbid, cfg, sch in c.execute(f'select {", ".join(sel)} from collections').fetchall():
        key = dbs.get(dbid, ('default_tenant', 'default_database'))
        mseg, vseg = segs[cid]['METADATA'], segs[cid].get('VECTOR')
        seg_meta = _meta_rows(c, 'segment_metadata', 'segment_id', vseg) if 'segment_metadata' in tables and vseg else None
        space = _space(sch, cfg, seg_meta)
        meta = {}   # id -> [doc, uri, metadata dict]
        order = []
        rows = c.execute('select id, embedding_id from embeddings where segment_id=? order by id', (mseg,)).fetchall()
        byrow = {}
        for rid, eid in rows:
            meta[eid] = [None, None, {}]
            byrow[rid] = eid
            order.append(eid)
        for rid, k, s, i, f, b in c.execute(
                f'select m.id, m.key, m.string_value, m.int_value, m.float_value, {bsel} from embedding_metadata m '
                f'join embeddings e on e.id=m.id where e.segment_id=? order by m.id, m.rowid', (mseg,)):
            v = _typed(s, i, f, b)
            eid = byrow[rid]
            if v is None:
                continue
            if k == DOC:
                meta[eid][0] = v
            elif k == URI:
                meta[eid][1] = v
            else:
                meta[eid][2][k] = v
        vecs = {}
        vt = 0
        pk = os.path.join(persist_dir, vseg or '-', 'index_metadata.pickle')
        loaded = False
        if vseg and os.path.isfile(pk) and os.path.getsize(pk) > 0:
            pm = _load_pickle(pk)
            if pm.get('label_to_id'):
                slots = _hnsw_vectors(os.path.join(persist_dir, vseg), space)
                for label, vec in slots.items():
                    if label in pm['label_to_id']:
                        vecs[pm['label_to_id'][label]] = vec
                loaded = True
                r = c.execute('select seq_id from max_seq_id where segment_id=?', (vseg,)).fetchone()
                vt = _seq(r[0]) if r else (pm.get('max_seq_id') or 0)
        r = c.execute('select seq_id from max_seq_id where segment_id=?', (mseg,)).fetchone()
        mt = _seq(r[0]) if r else 0
        if not loaded:
            vt = 0
        for seq, op, rid, blob, md in c.execute(
                'select seq_id, operation, id, vector, metadata from embeddings_queue where substr(topic, -36)=? '
                'and seq_id>? order by seq_id', (cid, min(mt, vt))):
            md = json.loads(md) if md is not None else None
            vec = list(struct.unpack('<%df' % (len(blob) // 4), blob)) if blob is not None else None
            if seq > mt:
                present = rid in meta
                if op == 3:
                    meta.pop(rid, None)
                elif op == 0 and not present or op == 2 and not present:
                    meta[rid] = [None, None, {}]
                    order.append(rid)
                    _merge(meta[rid], md)
                elif present and op in (1, 2):
                    _merge(meta[rid], md)
            if seq > vt:
                present = rid in vecs
                if op == 3:
                    vecs.pop(rid, None)
                elif vec is not None and (op == 2 or (op == 0 and not present) or (op == 1 and present)):
                    vecs[rid] = vec
        recs = {}
        for eid, (doc, _uri, m) in meta.items():
            recs[eid] = (vecs.get(eid), doc, m or None)
        result.setdefault(key, {})[name] = {
            'space': space, 'metadata': _meta_rows(c, 'collection_metadata', 'collection_id', cid),
            'dimension': dim, 'records': recs}
    c.close()
    return result


def _merge(entry, md):
    for k, v in (md or {}).items():
        if k == DOC:
            entry[0] = v
        elif k == URI:
            entry[1] = v
        elif v is None:
            entry[2].pop(k, None)
        else:
            entry[2][k] = v


def databases(persist_dir):
    """[(tenant, database)] that hold at least one collection."""
    return sorted(view(persist_dir))
