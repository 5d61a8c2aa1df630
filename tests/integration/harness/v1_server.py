"""A small stand-in for a Python Chroma 0.4.24 server's v1 API (tenants and databases as query
parameters), on loopback, in memory. Requests and responses follow /work/shared/spec/http-api.md
exactly where it is specific; this is NOT a real Chroma server (none of 0.3–0.6 can be installed
here), so the tests that use it check the tool's v1 routes and shapes, not Chroma itself.

Followed from the spec: §1.1 heartbeat/version/pre-flight (404 for /api/v2/*), §2 tenants and
databases (query parameters), §3.1 routes (collections by name, records by UUID), §3.3 collection
JSON of 0.4.16–0.5.3, §4.2 bodies (a `sort` key → 500 NotImplementedError; unknown include → 422;
base64 embeddings → 422), §4.3 responses (add 201 `true`, upsert 200 `null`), §4.4 get ordering by
user id (0.4.20–0.5.7), §4.5 float32 storage widened to double on output, §4.7 existing ids ignored
on add, upsert merges metadata, §4.8 non-scalar metadata silently dropped, §1.2 batch size checked
server-side (500 ValueError), §4.11 error shapes.
"""
import json
import http.server
import struct
import threading
import time
import urllib.parse
import uuid

VERSION = '0.4.24'


def f32(x):
    return struct.unpack('<f', struct.pack('<f', float(x)))[0]


class V1Server:
    def __init__(self, max_batch_size=100):
        self.max_batch_size = max_batch_size
        self.tenants = {'default_tenant': {'default_database'}}
        self.collections = {}  # id -> {'name','tenant','database','metadata','records': {id: rec}}
        self.lock = threading.Lock()
        self.requests = []

    # -- helpers used by tests ---------------------------------------------------------------
    def by_name(self, name, tenant='default_tenant', database='default_database'):
        for c in self.collections.values():
            if c['name'] == name and c['tenant'] == tenant and c['database'] == database:
                return c
        return None

    def add_collection(self, name, metadata=None, tenant='default_tenant', database='default_database'):
        cid = str(uuid.uuid4())
        self.collections[cid] = {'id': cid, 'name': name, 'tenant': tenant, 'database': database,
                                 'metadata': metadata, 'records': {}}
        return self.collections[cid]

    # -- server ------------------------------------------------------------------------------
    def __enter__(self):
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *a):
                pass

            def reply(self, status, obj=None, raw=None):
                data = raw if raw is not None else json.dumps(obj).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def handle_any(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                url = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                parts = [urllib.parse.unquote(p) for p in url.path.split('/') if p]
                stand_in.requests.append((self.command, self.path))
                try:
                    payload = json.loads(body) if body else None
                except ValueError:
                    return self.reply(422, {'detail': [{'msg': 'invalid json'}]})
                with stand_in.lock:
                    status, obj = stand_in.route(self.command, parts, q, payload)
                if status == 404 and obj is None:
                    return self.reply(404, raw=b'{"detail":"Not Found"}')
                self.reply(status, obj)

            do_GET = do_POST = do_PUT = do_DELETE = handle_any

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a client that went away (killed on purpose, or timed out) is not news

        self.server = Server(('127.0.0.1', 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f'http://127.0.0.1:{self.port}'
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        return False

    def collection_json(self, c):
        return {'name': c['name'], 'id': c['id'], 'metadata': c['metadata'], 'tenant': c['tenant'],
                'database': c['database']}

    def route(self, method, parts, q, body):
        if parts[:2] != ['api', 'v1']:
            return 404, None
        rest = parts[2:]
        tenant = q.get('tenant', 'default_tenant')
        database = q.get('database', 'default_database')
        if method == 'GET' and rest == []:
            return 200, {'nanosecond heartbeat': time.time_ns()}
        if method == 'GET' and rest == ['heartbeat']:
            return 200, {'nanosecond heartbeat': time.time_ns()}
        if method == 'GET' and rest == ['version']:
            return 200, VERSION
        if method == 'GET' and rest == ['pre-flight-checks']:
            return 200, {'max_batch_size': self.max_batch_size}
        if rest[:1] == ['tenants']:
            if method == 'POST' and len(rest) == 1:
                self.tenants.setdefault(body['name'], set())
                return 200, None
            if method == 'GET' and len(rest) == 2:
                if rest[1] not in self.tenants:
                    return 404, {'error': 'NotFoundError', 'message': f'Tenant {rest[1]} not found'}
                return 200, {'name': rest[1]}
        if rest[:1] == ['databases']:
            if method == 'POST' and len(rest) == 1:
                self.tenants.setdefault(tenant, set()).add(body['name'])
                return 200, None
            if method == 'GET' and len(rest) == 2:
                if rest[1] not in self.tenants.get(tenant, set()):
                    return 500, {'error': f"NotFoundError('Database {rest[1]} not found for tenant {tenant}')"}
                return 200, {'id': str(uuid.uuid5(uuid.NAMESPACE_DNS, tenant + '/' + rest[1])), 'name': rest[1],
                             'tenant': tenant}
        if rest[:1] != ['collections']:
            return 404, None
        if len(rest) == 1:
            if method == 'GET':
                cols = sorted((c for c in self.collections.values()
                               if c['tenant'] == tenant and c['database'] == database), key=lambda c: c['id'])
                if 'limit' in q and 'offset' not in q:
                    return 500, {'error': "TypeError(\"unsupported operand type(s) for +: 'NoneType' and 'int'\")"}
                off, lim = int(q.get('offset', 0)), q.get('limit')
                cols = cols[off:off + int(lim)] if lim is not None else cols[off:]
                return 200, [self.collection_json(c) for c in cols]
            if method == 'POST':
                if self.by_name(body['name'], tenant, database):
                    if body.get('get_or_create'):
                        return 200, self.collection_json(self.by_name(body['name'], tenant, database))
                    return 500, {'error': f"UniqueConstraintError('Collection {body['name']} already exists')"}
                if body.get('metadata') == {}:
                    return 500, {'error': "ValueError('Expected metadata to be a non-empty dict, got {}')"}
                if 'configuration' in body:
                    return 422, {'detail': [{'msg': 'extra fields not permitted'}]}
                c = self.add_collection(body['name'], body.get('metadata'), tenant, database)
                return 200, self.collection_json(c)
        if len(rest) == 2 and method == 'GET':
            c = self.by_name(rest[1], tenant, database)
            if c is None:
                return 500, {'error': f"ValueError('Collection {rest[1]} does not exist.')"}
            return 200, self.collection_json(c)
        c = self.collections.get(rest[1])
        if c is None:
            return 500, {'error': f"ValueError('Collection {rest[1]} does not exist.')"}
        op = rest[2] if len(rest) > 2 else None
        if op == 'count' and method == 'GET':
            return 200, len(c['records'])
        if method != 'POST':
            return 404, None
        if op in ('add', 'upsert'):
            return self.write(c, op, body)
        if op == 'get':
            return self.get(c, body)
        if op == 'delete':
            ids = body.get('ids') or []
            gone = [i for i in ids if c['records'].pop(i, None) is not None]
            return 200, gone
        return 404, None

    def write(self, c, op, body):
        ids = body['ids']
        if len(ids) > self.max_batch_size:
            return 500, {'error': f"ValueError('Batch size {len(ids)} exceeds maximum batch size {self.max_batch_size}')"}
        embs = body.get('embeddings')
        n = len(ids)
        for key in ('embeddings', 'documents', 'metadatas', 'uris'):
            if body.get(key) is not None and len(body[key]) != n:
                return 500, {'error': "ValueError('Inconsistent number of records')"}
        if embs is not None and any(not isinstance(e, list) for e in embs):
            return 422, {'detail': [{'loc': ['body', 'embeddings'], 'msg': 'value is not a valid list'}]}
        for i, rid in enumerate(ids):
            meta = (body.get('metadatas') or [None] * n)[i]
            if meta is not None:  # Python servers drop what they cannot store, silently
                meta = {k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool))}
            rec = {'embedding': [f32(x) for x in embs[i]] if embs else None,
                   'document': (body.get('documents') or [None] * n)[i],
                   'uri': (body.get('uris') or [None] * n)[i],
                   'metadata': meta or None}
            old = c['records'].get(rid)
            if op == 'add':
                if old is None:
                    c['records'][rid] = rec
            else:
                if old is None:
                    c['records'][rid] = rec
                else:
                    merged = dict(old['metadata'] or {})
                    merged.update(rec['metadata'] or {})
                    old['metadata'] = merged or None
                    old['embedding'] = rec['embedding'] or old['embedding']
                    if rec['document'] is not None:
                        old['document'] = rec['document']
                    if rec['uri'] is not None:
                        old['uri'] = rec['uri']
        return (201, True) if op == 'add' else (200, None)

    def get(self, c, body):
        if 'sort' in body:
            return 500, {'error': "NotImplementedError('Sorting is not yet supported')"}
        include = body.get('include', ['metadatas', 'documents'])
        for x in include:
            if x not in ('embeddings', 'metadatas', 'documents', 'distances', 'uris', 'data'):
                return 422, {'detail': [{'loc': ['body', 'include'], 'msg': 'unexpected value'}]}
        ids = sorted(c['records'])  # 0.4.20–0.5.7: ORDER BY embedding_id
        if body.get('ids') is not None:
            ids = [i for i in ids if i in set(body['ids'])]
        off = body.get('offset') or 0
        lim = body.get('limit')
        ids = ids[off:off + lim] if lim is not None else ids[off:]
        recs = [c['records'][i] for i in ids]
        return 200, {
            'ids': ids,
            'embeddings': [r['embedding'] for r in recs] if 'embeddings' in include else None,
            'documents': [r['document'] for r in recs] if 'documents' in include else None,
            'metadatas': [r['metadata'] for r in recs] if 'metadatas' in include else None,
            'uris': [r['uri'] for r in recs] if 'uris' in include else None,
            'data': None,
        }
