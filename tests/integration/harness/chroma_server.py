"""The real Chroma 1.0.19 server, started on a free loopback port, and a small v2 client.

Only urllib: the client must not share code with chroma-migrate, so that it checks the result
the way a user would see it.
"""
import json
import os
import subprocess
import urllib.error
import urllib.request

from . import engines


class ChromaServer:
    def __init__(self, persist_dir):
        self.persist_dir = persist_dir
        self.port = None
        self.pid = None

    def __enter__(self):
        p = engines.run([os.path.join(engines.ROOT, 'scripts', 'chroma-server.sh'), 'start', self.persist_dir])
        port, pid = p.stdout.split()
        self.port, self.pid = int(port), int(pid)
        self.base = f'http://127.0.0.1:{self.port}/api/v2'
        return self

    def __exit__(self, *exc):
        subprocess.run([os.path.join(engines.ROOT, 'scripts', 'chroma-server.sh'), 'stop', str(self.pid)])
        return False

    def request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return json.loads(r.read().decode())
        except urllib.error.HTTPError as e:
            raise AssertionError(f'{method} {path} -> {e.code}: {e.read().decode()[:2000]}')

    def db(self, tenant='default_tenant', database='default_database'):
        return f'/tenants/{tenant}/databases/{database}'

    def collections(self, **kw):
        out, offset = [], 0
        while True:
            page = self.request('GET', f'{self.db(**kw)}/collections?limit=100&offset={offset}')
            out.extend(page)
            if len(page) < 100:
                return out
            offset += 100

    def collection(self, name, **kw):
        return self.request('GET', f'{self.db(**kw)}/collections/{name}')

    def count(self, cid, **kw):
        return self.request('GET', f'{self.db(**kw)}/collections/{cid}/count')

    def get_all(self, cid, page=500, **kw):
        """Every record: {id: (embedding, document, metadata)}."""
        out, offset = {}, 0
        while True:
            r = self.request('POST', f'{self.db(**kw)}/collections/{cid}/get',
                             {'limit': page, 'offset': offset, 'include': ['embeddings', 'documents', 'metadatas']})
            for i, rid in enumerate(r['ids']):
                if rid in out:
                    raise AssertionError(f'id {rid} returned twice while paging')
                out[rid] = (r['embeddings'][i], r['documents'][i], r['metadatas'][i])
            if len(r['ids']) < page:
                return out
            offset += page

    def query(self, cid, vectors, k=10, **kw):
        r = self.request('POST', f'{self.db(**kw)}/collections/{cid}/query',
                         {'query_embeddings': vectors, 'n_results': k, 'include': ['distances']})
        return r['ids'], r['distances']

    def add(self, cid, ids, embeddings, documents=None, metadatas=None, **kw):
        return self.request('POST', f'{self.db(**kw)}/collections/{cid}/add',
                            {'ids': ids, 'embeddings': embeddings, 'documents': documents, 'metadatas': metadatas})

    def delete(self, cid, ids, **kw):
        return self.request('POST', f'{self.db(**kw)}/collections/{cid}/delete', {'ids': ids})

    def where_document(self, cid, contains, **kw):
        r = self.request('POST', f'{self.db(**kw)}/collections/{cid}/get',
                         {'where_document': {'$contains': contains}, 'include': []})
        return set(r['ids'])
