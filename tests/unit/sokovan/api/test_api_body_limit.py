"""BodySizeLimit: oversize bodies get 413 before the app runs; others reach it intact."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from sokovan.api.limits import BodySizeLimit

LIMIT = 100


class EchoApp:
    """Answers with the body it received, and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        body = await Request(scope, receive).body()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


def _client(app: EchoApp) -> httpx.AsyncClient:
    limited = BodySizeLimit(app, max_bytes=LIMIT)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=limited), base_url="http://t")


async def _chunks(*sizes: int) -> AsyncIterator[bytes]:
    for size in sizes:
        yield b"x" * size


async def test_bodies_up_to_the_limit_pass_through_unchanged() -> None:
    app = EchoApp()
    async with _client(app) as client:
        exact = await client.post("/", content=b"a" * LIMIT)
        streamed = await client.post("/", content=_chunks(40, 60))
        empty = await client.get("/")

    assert (exact.status_code, exact.content) == (200, b"a" * LIMIT)
    assert (streamed.status_code, streamed.content) == (200, b"x" * 100)
    assert (empty.status_code, empty.content) == (200, b"")
    assert app.calls == 3


async def test_declared_or_streamed_oversize_bodies_get_413_without_the_app() -> None:
    app = EchoApp()
    async with _client(app) as client:
        declared = await client.post("/", content=b"a" * (LIMIT + 1))
        streamed = await client.post("/", content=_chunks(60, 60))

    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json() == {
            "error": {
                "code": "body-too-large",
                "message": f"the request body is larger than {LIMIT} bytes; send less",
                "details": {"max_bytes": LIMIT},
            }
        }
    assert app.calls == 0
