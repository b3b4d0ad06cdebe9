"""A local HTTP server for adapter tests: replays real-format payloads and injects faults.

Binds 127.0.0.1 on a random port in a daemon thread. Routes are ``(method, path) -> handler``
(a handler receives the request and returns a :class:`Reply`); one-shot faults queued with
:meth:`FakeServer.fail_next` are served before the route. A fault can delay the answer, drip the
body byte by byte, announce more bytes than it sends (truncated), send any status, headers,
content type or raw body. Every request is recorded for assertions. Nothing leaves the machine.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str/bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"
    delay: float = 0.0  # seconds before the status line
    drip: float = 0.0  # seconds between body bytes
    truncate: int | None = None  # send only this many body bytes (Content-Length announces all), then close

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        if self.body is None:
            return b""
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8")).items()}

    def arg(self, name: str, default: str | None = None) -> str | None:
        return self.query.get(name, [default])[0]


Handler = Callable[[Seen], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class FakeServer:
    """``with FakeServer() as server: server.route("GET", "/x", handler)`` then point a client at ``server.url``."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.faults: dict[tuple[str, str], deque[Reply]] = {}
        self.requests: list[Seen] = []
        self.lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # ----- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeServer:
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stalls

            def log_message(self, *args: Any) -> None:  # keep test output clean
                return

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self.command, parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()},
                            self.rfile.read(length) if length else b"")
                reply = outer._reply(seen)
                try:
                    self._send(reply)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def _send(self, reply: Reply) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                body = reply.payload()
                self.send_response(reply.status)
                if reply.content_type:
                    self.send_header("Content-Type", reply.content_type)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                if reply.truncate is not None:
                    self.send_header("Connection", "close")
                self.end_headers()
                sent = body if reply.truncate is None else body[: reply.truncate]
                if reply.drip:
                    for index in range(len(sent)):
                        self.wfile.write(sent[index:index + 1])
                        self.wfile.flush()
                        time.sleep(reply.drip)
                else:
                    self.wfile.write(sent)
                self.wfile.flush()
                if reply.truncate is not None:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # ----- behaviour ---------------------------------------------------------------------------
    def route(self, method: str, path: str, handler: Handler | Reply) -> None:
        self.routes[(method, path)] = handler if callable(handler) else (lambda _seen, r=handler: r)

    def fail_next(self, method: str, path: str, *replies: Reply) -> None:
        """Serve these replies (in order) to the next calls of this route, then the route again."""
        with self.lock:
            self.faults.setdefault((method, path), deque()).extend(replies)

    def _reply(self, seen: Seen) -> Reply:
        key = (seen.method, seen.path)
        with self.lock:
            self.requests.append(seen)
            queued = self.faults.get(key)
            if queued:
                return queued.popleft()
        handler = self.routes.get(key)
        if handler is None:
            return Reply(404, {"errors": "Not Found"})
        return handler(seen)

    def calls(self, path: str) -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if r.path == path]
