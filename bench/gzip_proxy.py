"""A reverse proxy on loopback that compresses what Odoo serves, as the proxy in front of Odoo does
in production (README, *Deploy behind a proxy*: nginx with ``gzip on``): text, scripts, style
sheets, JSON and SVG of 1 kB or more, gzip level 6, when the browser accepts it. Odoo's own
server does not compress; without this, the phone figures would count bytes no deployment sends.
"""

import gzip
import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMPRESSED_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


class GzipProxy:
    """Forward every request to ``upstream`` (host, port); serve on a free loopback port."""

    def __init__(self, upstream_port):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self.forward()

            def do_POST(self):
                self.forward()

            def forward(self):
                try:
                    proxy.forward(self)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the browser left the page (a blank one, next)

        self.upstream_port = upstream_port
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def forward(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        headers = {
            k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP | {"accept-encoding"}
        }
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        try:
            upstream.request(handler.command, handler.path, body=body, headers=headers)
            response = upstream.getresponse()
            content = response.read()
            out_headers = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
        finally:
            upstream.close()
        kind = response.getheader("Content-Type") or ""
        if (
            "gzip" in (handler.headers.get("Accept-Encoding") or "")
            and kind.startswith(COMPRESSED_TYPES)
            and len(content) >= 1024
        ):
            content = gzip.compress(content, compresslevel=6)
            out_headers.append(("Content-Encoding", "gzip"))
            out_headers.append(("Vary", "Accept-Encoding"))
        handler.send_response(response.status, response.reason)
        for key, value in out_headers:
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)
