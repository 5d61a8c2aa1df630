"""A loopback HTTP proxy in front of a Chroma server: records every request (method, path,
headers, body size) and can inject faults, so tests can see what chroma-migrate puts on the
wire and how it copes with 429/503, stalls and dropped connections.

Faults come from `plan(n, method, path)`, called for request number n (0-based); it returns one of
  None              forward normally
  ('status', code)  answer `code` (429 with Retry-After: 0) without forwarding
  ('drop_before',)  close the connection without forwarding
  ('drop_after',)   forward, then close the connection without answering (the write happened)
  ('stall', secs)   forward, then wait `secs` before answering (the client should time out)
  ('delay', secs)   wait `secs`, then forward and answer
With keep_bodies=True it also keeps every forwarded exchange in `exchanges` as (method, path,
request body, status, response body), so a benchmark can replay exactly what was sent.
With tls=(certfile, keyfile) it listens with TLS (https://) and still forwards in plain HTTP.
Only 127.0.0.1 is used.
"""
import http.client
import http.server
import socket
import ssl
import threading
import time


class Proxy:
    def __init__(self, upstream_port, plan=None, keep_bodies=False, tls=None):
        self.upstream_port = upstream_port
        self.tls = tls
        self.exchanges = [] if keep_bodies else None
        self.plan = plan or (lambda n, method, path: None)
        self.requests = []  # (method, path, {header: value}, body bytes)
        self.faults = []    # (n, fault)
        self.lock = threading.Lock()
        self.count = 0

    def __enter__(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *a):
                pass

            def handle_any(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                with proxy.lock:
                    n = proxy.count
                    proxy.count += 1
                    proxy.requests.append((self.command, self.path, dict(self.headers.items()), len(body)))
                fault = proxy.plan(n, self.command, self.path)
                if fault:
                    with proxy.lock:
                        proxy.faults.append((n, fault))
                if fault and fault[0] == 'status':
                    payload = b'{"error":"Injected","message":"injected by the test proxy"}'
                    self.send_response(fault[1])
                    self.send_header('Content-Type', 'application/json')
                    if fault[1] == 429:
                        self.send_header('Retry-After', '0')
                    self.send_header('Content-Length', str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if fault and fault[0] == 'drop_before':
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault and fault[0] == 'delay':
                    time.sleep(fault[1])
                conn = http.client.HTTPConnection('127.0.0.1', proxy.upstream_port, timeout=300)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ('host', 'connection')}
                conn.request(self.command, self.path, body=body if (body or self.command != 'GET') else None,
                             headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                if proxy.exchanges is not None:
                    with proxy.lock:
                        proxy.exchanges.append((self.command, self.path, body, resp.status, data))
                if fault and fault[0] == 'drop_after':
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault and fault[0] == 'stall':
                    time.sleep(fault[1])
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ('transfer-encoding', 'connection', 'content-length'):
                        self.send_header(k, v)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = handle_any

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a client that went away (killed on purpose, or timed out) is not news

        self.server = Server(('127.0.0.1', 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f'http://127.0.0.1:{self.port}'
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            self.url = f'https://127.0.0.1:{self.port}'
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        return False
