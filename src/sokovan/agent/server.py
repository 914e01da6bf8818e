"""The agent's HTTP face: `/rpc/<method>` routes onto `AgentService`, behind the shared token.

The token is checked by an ASGI gate in front of the whole app, before any body is read, so
an unauthenticated caller learns nothing (not even whether its body would parse): 401 with an
`RpcErrorBody`. Malformed bodies get FastAPI's 422; agent failures (`SokovanError`) get their
own HTTP status with an `RpcErrorBody`.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from sokovan.agent.protocol import AGENT_TOKEN_HEADER, RPC_PREFIX, RpcErrorBody, RpcMethod
from sokovan.agent.service import AgentService
from sokovan.common.errors import SokovanError


def create_app(service: AgentService, token: str) -> FastAPI:
    """The RPC app; serve it with any ASGI server, or call it through httpx.ASGITransport."""
    app = FastAPI(title="sokovan agent", openapi_url=None, docs_url=None, redoc_url=None)
    routes: list[tuple[RpcMethod, Callable[..., Any], str]] = [
        (RpcMethod.CHECK_AND_PULL, service.check_and_pull, "POST"),
        (RpcMethod.CREATE_KERNELS, service.create_kernels, "POST"),
        (RpcMethod.CREATE_KERNELS_BATCH, service.create_kernels_batch, "POST"),
        (RpcMethod.DESTROY_KERNEL, service.destroy_kernel, "POST"),
        (RpcMethod.CHECK_RUNNING, service.check_running, "POST"),
        (RpcMethod.CREATE_LOCAL_NETWORK, service.create_local_network, "POST"),
        (RpcMethod.ASSIGN_PORT, service.assign_port, "POST"),
        (RpcMethod.KERNEL_LOGS, service.kernel_logs, "POST"),
        (RpcMethod.INFO, service.info, "GET"),
    ]
    for method, endpoint, verb in routes:
        app.add_api_route(f"{RPC_PREFIX}/{method}", endpoint, methods=[verb])
    app.add_exception_handler(SokovanError, _error_response)
    app.add_middleware(TokenGate, token=token)
    return app


async def _error_response(request: Request, exc: Exception) -> JSONResponse:
    status = exc.http_status if isinstance(exc, SokovanError) else 500
    return _error(status, type(exc).__name__, str(exc))


def _error(status: int, error: str, detail: str) -> JSONResponse:
    return JSONResponse(RpcErrorBody(error=error, detail=detail).model_dump(), status_code=status)


class TokenGate:
    """Refuses every HTTP request whose token header is missing or wrong."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self._app = app
        self._token = token.encode()
        self._header = AGENT_TOKEN_HEADER.lower().encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._authorised(scope):
            response = _error(401, "unauthorized", f"missing or wrong {AGENT_TOKEN_HEADER} header")
            await response(scope, receive, send)
            return
        await self._app(scope, receive, send)

    def _authorised(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == self._header:
                # Constant time: response timing must not reveal how much of a guess matched.
                return hmac.compare_digest(value, self._token)
        return False
