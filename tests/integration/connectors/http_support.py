"""A local HTTP(S) server on 127.0.0.1 and a spy on every socket the process opens.

The spy is a Python audit hook: it records each ``socket.connect`` and ``getaddrinfo``
and vetoes any connection outside the loopback range, so a broken guard fails its test
here, without one packet leaving the machine.
"""

from __future__ import annotations

import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from typing import Any

RELEASE_SECONDS = 30  # an upper bound for a handler told to hang, should teardown not come
SHUTDOWN_POLL_SECONDS = 0.01  # how often serve_forever looks for shutdown (its default: 0.5)


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # send nothing until the server is released
    drip: bool = False  # send headers, then one byte of body at a time until released


Route = Callable[[Seen], Reply]


class LocalServer:
    """Serves ``routes`` (path without query -> handler) on 127.0.0.1; HTTPS with ``tls``."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.server_names: list[str | None] = []
        self.release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        if tls is not None:
            tls.sni_callback = self._remember_server_name
            self._server.socket = tls.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(SHUTDOWN_POLL_SECONDS,), daemon=True
        )

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _remember_server_name(self, _sock: Any, name: str | None, _context: Any) -> None:
        self.server_names.append(name)

    def answer(self, seen: Seen) -> Reply:
        self.seen.append(seen)
        route = self.routes.get(seen.path.split("?")[0])
        return Reply(404, b"no route") if route is None else route(seen)


def _handler_for(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle_one_request(self) -> None:
            try:
                super().handle_one_request()
            except (OSError, ssl.SSLError):
                self.close_connection = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            reply = server.answer(Seen(self.command, self.path, headers, body))
            if reply.hang:
                server.release.wait(RELEASE_SECONDS)
                self.close_connection = True
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.drip:
                self.send_header("Content-Length", "1000000")
                self.end_headers()
                while not server.release.wait(0.02):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                return
            if "Content-Length" not in reply.headers:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        # BaseHTTPRequestHandler dispatches to do_<METHOD>; the names are the stdlib's.
        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


class ForbiddenConnection(AssertionError):
    """A test tried to connect outside the loopback range; the spy stopped it."""


class NetworkSpy:
    """Records connections and name lookups while active; vetoes non-loopback connects."""

    _installed: NetworkSpy | None = None

    def __init__(self) -> None:
        self.connected: list[str] = []
        self.looked_up: list[str] = []
        self.vetoed: list[str] = []
        self.active = False

    @classmethod
    def installed(cls) -> NetworkSpy:
        """The process's one spy (audit hooks cannot be removed, so it is added once)."""
        if cls._installed is None:
            spy = cls()
            sys.addaudithook(spy._hook)
            cls._installed = spy
        return cls._installed

    def watching(self) -> Iterator[NetworkSpy]:
        self.connected.clear()
        self.looked_up.clear()
        self.vetoed.clear()
        self.active = True
        try:
            yield self
        finally:
            self.active = False

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.active:
            return
        if event == "socket.getaddrinfo":
            self.looked_up.append(str(args[0]))
        elif event == "socket.connect" and isinstance(args[1], tuple):
            host = str(args[1][0])
            self.connected.append(host)
            if not ip_address(host).is_loopback:
                self.vetoed.append(host)
                raise ForbiddenConnection(f"the test tried to connect to {host}")
