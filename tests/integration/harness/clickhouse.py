"""A private ClickHouse server (scripts/clickhouse-server.sh, Debian's clickhouse-server 18.16)
and the Chroma 0.3 tables in it, loaded with exact values.

Tables are created from Chroma 0.3's own DDL text (chromadb/db/clickhouse.py, legacy-formats.md
§3.1) with the trailing comma inside the column list removed, which ClickHouse 18.16 rejects.
Rows are inserted in FORMAT RowBinary, so every float64 (NaN included) arrives bit for bit.
Only urllib and struct: nothing is shared with chroma-migrate's reader.
"""
import os
import re
import shutil
import struct
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import uuid as uuidlib

from . import engines

SCRIPT = os.path.join(engines.ROOT, 'scripts', 'clickhouse-server.sh')
USER, PASSWORD = 'chroma', 'chroma-test'  # the second user scripts/clickhouse-server.sh configures

# chromadb/db/clickhouse.py@0.3.29 (@0.1.0-0.3.0: embeddings.metadata is String).
DDL_COLLECTIONS = 'CREATE TABLE IF NOT EXISTS {db}.collections ( uuid UUID, name String, metadata String,  ) ' \
                  'ENGINE = MergeTree() ORDER BY uuid'
DDL_EMBEDDINGS = 'CREATE TABLE IF NOT EXISTS {db}.embeddings ( collection_uuid UUID, uuid UUID, ' \
                 'embedding Array(Float64), document Nullable(String), id Nullable(String), ' \
                 'metadata {meta},  ) ENGINE = MergeTree() ORDER BY collection_uuid'


def have_clickhouse():
    return shutil.which('clickhouse-server') is not None


def strip_trailing_comma(ddl):
    return re.sub(r',\s*\)', ' )', ddl)


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def rb_string(s):
    b = s.encode('utf-8')
    return varint(len(b)) + b


def rb_nullable_string(s):
    return b'\x01' if s is None else b'\x00' + rb_string(s)


def rb_uuid(s):
    v = uuidlib.UUID(s).int
    return struct.pack('<QQ', v >> 64, v & 0xFFFFFFFFFFFFFFFF)


def rb_embedding(values):
    return varint(len(values)) + struct.pack(f'<{len(values)}d', *values)


def representable(row):
    """Whether Chroma's ClickHouse schema can hold this row (UUID keys, non-NULL Array(Float64))."""
    try:
        uuidlib.UUID(row['collection_uuid'])
        uuidlib.UUID(row['uuid'])
    except (TypeError, ValueError, AttributeError):
        return False
    emb = row['embedding']
    return emb is not None and all(x is not None for x in emb)


class ClickHouse:
    def __enter__(self):
        p = engines.run([SCRIPT, 'start'])
        http, tcp, pid = p.stdout.split()
        self.http_port, self.tcp_port, self.pid = int(http), int(tcp), int(pid)
        return self

    def __exit__(self, *exc):
        subprocess.run([SCRIPT, 'stop', str(self.pid)])
        return False

    def url(self, db=None, user=None, password=None, query=''):
        auth = ''
        if user:
            auth = urllib.parse.quote(user, safe='') + (':' + urllib.parse.quote(password, safe='')
                                                        if password is not None else '') + '@'
        return f'clickhouse://{auth}127.0.0.1:{self.http_port}' + (f'/{db}' if db else '') + query

    def query(self, sql, data=None):
        """Runs sql (in the URL when data is the POST body) and returns the response body as bytes."""
        if data is None:
            req = urllib.request.Request(f'http://127.0.0.1:{self.http_port}/', data=sql.encode(), method='POST')
        else:
            q = urllib.parse.urlencode({'query': sql})
            req = urllib.request.Request(f'http://127.0.0.1:{self.http_port}/?{q}', data=data, method='POST')
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.read()
        except urllib.error.HTTPError as e:
            raise AssertionError(f'ClickHouse: {sql[:200]} -> {e.code}: {e.read().decode()[:2000]}')

    def create_database(self, db):
        self.query(f'CREATE DATABASE IF NOT EXISTS {db}')

    def create_chroma_tables(self, db, nullable_metadata=True):
        self.create_database(db)
        self.query(strip_trailing_comma(DDL_COLLECTIONS.format(db=db)))
        meta = 'Nullable(String)' if nullable_metadata else 'String'
        self.query(strip_trailing_comma(DDL_EMBEDDINGS.format(db=db, meta=meta)))

    def insert_collections(self, db, rows):
        data = b''.join(rb_uuid(r['uuid']) + rb_string(r['name']) + rb_string('null' if r['metadata'] is None
                                                                                else r['metadata']) for r in rows)
        if data:
            self.query(f'INSERT INTO {db}.collections (uuid, name, metadata) FORMAT RowBinary', data)

    def insert_embeddings(self, db, rows, nullable_metadata=True, batch=2000):
        meta = rb_nullable_string if nullable_metadata else rb_string
        for start in range(0, len(rows), batch):
            data = b''.join(rb_uuid(r['collection_uuid']) + rb_uuid(r['uuid']) + rb_embedding(r['embedding']) +
                            rb_nullable_string(r['document']) + rb_nullable_string(r['id']) + meta(r['metadata'])
                            for r in rows[start:start + batch])
            self.query(f'INSERT INTO {db}.embeddings (collection_uuid, uuid, embedding, document, id, metadata) '
                       'FORMAT RowBinary', data)

    def load(self, db, collections, embeddings, nullable_metadata=True):
        """Creates Chroma's tables in db and inserts the rows; returns the embeddings rows in the order
        ClickHouse sorts them by (collection_uuid, uuid), which is the order chroma-migrate reads."""
        self.create_chroma_tables(db, nullable_metadata)
        self.insert_collections(db, collections)
        self.insert_embeddings(db, embeddings, nullable_metadata)
        return self.in_server_order(db, embeddings)

    def in_server_order(self, db, rows):
        keys = self.query(f'SELECT toString(collection_uuid), toString(uuid) FROM {db}.embeddings '
                          'ORDER BY collection_uuid, uuid FORMAT TSV').decode().split('\n')
        rank = {}
        for i, line in enumerate(k for k in keys if k):
            rank.setdefault(tuple(line.split('\t')), i)
        assert len(keys) - 1 == len(rows), f'{db}.embeddings holds {len(keys) - 1} rows, {len(rows)} inserted'
        return sorted(rows, key=lambda r: rank[(r['collection_uuid'].lower(), r['uuid'].lower())])
