"""The one real HTTP server on 127.0.0.1 for tests, that every fake server builds on.

A route serves bytes (honouring conditional GET and byte ranges) or hands the request to a
function: feeds and audio are routes with bytes; the fake LLM (tests/scoring/fake_llm.py) and
the fake speech-to-text API (tests/episodes/asr/fake_asr_server.py) are routes with handlers.
"""

import contextlib
import gzip
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict = field(default_factory=dict)
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str = ""
    last_modified: str = ""
    gzip: bool = False
    # Sleep this long before answering (slow server).
    delay: float = 0.0
    # Answer `Range: bytes=a-b` with 206 and that piece, as a podcast CDN does for players.
    ranges: bool = False
    # Called with the request handler instead of serving `body` (streams, trickles, loops,
    # APIs); the request's body is in `request.body`.
    handler: object = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def _dispatch(self):
        server = self.server.owner
        self.body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server.requests.append({"path": self.path, "headers": dict(self.headers.items())})
        route = server.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self.send(404, b"not found", {"Content-Type": "text/plain"})
            return
        if route.delay:
            time.sleep(route.delay)
        if route.handler is not None:
            route.handler(self)
            return
        headers = {"Content-Type": route.content_type, **route.headers}
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        not_modified = (route.etag and self.headers.get("If-None-Match") == route.etag) or (
            route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified
        )
        if not_modified:
            self.send(304, b"", headers)
            return
        body = route.body
        if route.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        if route.ranges:
            self._send_range(body, headers)
            return
        self.send(route.status, body, headers)

    def _send_range(self, body, headers):
        headers["Accept-Ranges"] = "bytes"
        requested = self.headers.get("Range", "")
        if not requested.startswith("bytes="):
            self.send(200, body, headers)
            return
        first, _, last = requested.removeprefix("bytes=").partition("-")
        start, end = int(first or 0), int(last) if last else len(body) - 1
        headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
        self.send(206, body[start : end + 1], headers)

    def send(self, status, body: bytes, headers: dict):
        """Answer `status` with `body`; a client that hung up meanwhile is no error here."""
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

    def send_json(self, status, payload, headers: dict | None = None):
        """Answer `status` with `payload` as JSON, as the APIs we call do."""
        self.send(
            status,
            json.dumps(payload).encode(),
            {**(headers or {}), "Content-Type": "application/json"},
        )

    def drop(self):
        """Close the connection without any answer."""
        self.close_connection = True
        self.connection.close()


class LocalServer:
    """A threaded HTTP server; add routes with `serve(path, ...)`, read `requests` after."""

    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[dict] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def serve(self, path: str, body: bytes | str = b"", **kwargs) -> str:
        """Serve `body` at `path`; returns the full URL."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.routes[path] = Route(body=body, **kwargs)
        return self.url(path)

    def hits(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"].split("?", 1)[0] == path]


def stream_endless(chunk: bytes = b"<rss>" + b"x" * 65536, content_type="application/rss+xml"):
    """A handler that streams chunks (no Content-Length) until the client hangs up."""

    def handler(request):
        request.send_response(200)
        request.send_header("Content-Type", content_type)
        request.send_header("Connection", "close")
        request.end_headers()
        sent = 0
        try:
            while sent < 60 * 1024 * 1024:
                request.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        request.server.owner.streamed_bytes = sent
        request.close_connection = True

    return handler
