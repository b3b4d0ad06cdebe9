"""A small TCP proxy on 127.0.0.1 that misbehaves on purpose, for the sync fault tests.

``server_budget``: after that many bytes from the server on one connection, both sides are cut (a
connection dropped mid-batch). ``swallow_after``: once the client sends these bytes (e.g. ``b"COMMIT"``)
they still reach the server, but the client's side is closed at once and the server's reply is never
relayed: a COMMIT whose outcome the client cannot know.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType


class CuttingProxy:
    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.server_budget: int | None = None
        self.swallow_after: bytes | None = None
        self.cuts = 0
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> "CuttingProxy":
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        self._listener.settimeout(0.05)  # so stopping never waits on a blocked accept()
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            server = socket.create_connection(self.upstream)
            for sock in (client, server):  # forward each message at once, as libpq's own socket does
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            state = {"from_server": 0, "cut": False}
            threading.Thread(target=self._client_to_server, args=(client, server, state), daemon=True).start()
            threading.Thread(target=self._server_to_client, args=(client, server, state), daemon=True).start()

    def _cut(self, client: socket.socket, server: socket.socket, state: dict[str, object], keep_server: float = 0) -> None:
        if state["cut"]:
            return
        state["cut"] = True
        self.cuts += 1
        for sock in (client,):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already gone
            sock.close()
        if keep_server:
            time.sleep(keep_server)  # let the server read what was already sent (the COMMIT) first
        try:
            server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already gone
        server.close()

    def _client_to_server(self, client: socket.socket, server: socket.socket, state: dict[str, object]) -> None:
        while not state["cut"]:
            try:
                data = client.recv(65536)
            except OSError:
                data = b""
            if not data:
                self._cut(client, server, state)
                return
            try:
                server.sendall(data)
            except OSError:
                self._cut(client, server, state)
                return
            if self.swallow_after is not None and self.swallow_after in data:
                self._cut(client, server, state, keep_server=0.5)
                return

    def _server_to_client(self, client: socket.socket, server: socket.socket, state: dict[str, object]) -> None:
        while not state["cut"]:
            try:
                data = server.recv(65536)
            except OSError:
                data = b""
            if not data or state["cut"]:
                self._cut(client, server, state)
                return
            budget = self.server_budget
            sent = int(state["from_server"])  # type: ignore[arg-type]
            if budget is not None and sent + len(data) > budget:
                try:
                    client.sendall(data[: max(budget - sent, 0)])
                except OSError:
                    pass  # the client left first
                self._cut(client, server, state)
                return
            state["from_server"] = sent + len(data)
            try:
                client.sendall(data)
            except OSError:
                self._cut(client, server, state)
                return
