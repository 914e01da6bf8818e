"""Serving an ASGI app with uvicorn inside the caller's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

_STARTUP_TIMEOUT = 10.0


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The program embedding the server owns the process's signals and decides when the
        # server stops; uvicorn would otherwise take SIGINT/SIGTERM for itself.
        yield


class HttpServer:
    """`app` on `host:port` (port 0: any free port), bound before `start` returns."""

    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        self._app = app
        self._host = host
        self._requested_port = port
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None
        self.port = port

    async def start(self) -> None:
        """Bind and serve; raises OSError when the address cannot be bound."""
        sock = _bind(self._host, self._requested_port)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self._app, log_config=None, access_log=False, lifespan="off")
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="http-server")
        async with asyncio.timeout(_STARTUP_TIMEOUT):
            while not self._server.started:
                if self._task.done():
                    self._task.result()  # re-raises the startup failure
                    raise RuntimeError("the HTTP server stopped during startup")
                await asyncio.sleep(0.005)

    async def stop(self) -> None:
        """Stop accepting, finish the requests in flight, close the socket."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._server = self._task = None


def _bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock
