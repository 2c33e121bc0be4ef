"""An httpx transport whose every connection goes to an address the guard checked.

The URL keeps the host's name, so the ``Host`` header, TLS SNI and certificate
verification all use the name; only the TCP connection is made to the checked address.
Every new connection (the first request, each redirect to another origin, a reconnect
after keep-alive ends) resolves and checks again; a pooled connection was checked when it
was opened.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable, Iterator

import httpcore
import httpx

from jobforge.connectors.http.errors import RequestRefused
from jobforge.connectors.http.resolver import AddressGuard

MAX_CONNECTIONS = 10
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


class PinnedNetworkBackend(httpcore.NetworkBackend):
    """Opens TCP connections to the guard's checked addresses for a host, never by name."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._guard.addresses(host, port)
        options = list(socket_options or ())
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return self._sockets.connect_tcp(
                    str(address), port, timeout, local_address, options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # the guard returns at least one address
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        raise RequestRefused(f"the HTTP connector does not connect to Unix sockets ({path!r})")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class PinnedTransport(httpx.BaseTransport):
    """``httpx.Client(transport=PinnedTransport(guard))``: HTTP/1.1 over checked addresses.

    It never uses a proxy: through a proxy the guard would check the proxy's address, and
    the proxy would resolve the real destination itself. httpcore's exceptions pass
    through unchanged (the connector turns them into connector failures).
    """

    def __init__(self, guard: AddressGuard, ssl_context: ssl.SSLContext) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=MAX_CONNECTIONS,
            http1=True,
            http2=False,
            retries=0,
            network_backend=PinnedNetworkBackend(guard),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        core_response = self._pool.handle_request(core_request)
        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_ResponseStream(core_response),
            extensions=core_response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        yield from self._response.iter_stream()

    def close(self) -> None:
        self._response.close()
