"""Request body size limit, as a pure ASGI middleware.

The body is read (at most `max_bytes` of it) before the app sees the request, then replayed
to it. That costs nothing extra, since JSON endpoints read the whole body anyway, and a
declared or actual oversize body is answered with 413 before any parsing or database work.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sokovan.api.errors import BodyTooLargeError, error_response


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        first = self._declared_problem(scope) or await self._read_body(receive)
        if isinstance(first, BodyTooLargeError):
            response = error_response(first.http_status, first.code, str(first), first.details)
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(first, receive), send)

    def _declared_problem(self, scope: Scope) -> BodyTooLargeError | None:
        """Refuse at once a body whose declared Content-Length is over the limit."""
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                declared = value.decode("latin-1").strip()
                if declared.isdigit() and int(declared) > self.max_bytes:
                    return self._too_large()
        return None

    async def _read_body(self, receive: Receive) -> Message | BodyTooLargeError:
        """The whole body as one message, or the disconnect that cut it short."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return message
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

    def _too_large(self) -> BodyTooLargeError:
        return BodyTooLargeError(
            f"the request body is larger than {self.max_bytes} bytes; send less",
            {"max_bytes": self.max_bytes},
        )


def _replay(first: Message, receive: Receive) -> Receive:
    """A receive that yields `first` once, then whatever the client sends next."""
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return first
        return await receive()

    return replayed
