"""The agent gateway's HTTP endpoints, for the manager to mount at `GATEWAY_PREFIX`.

    app.include_router(create_agent_gateway_router(service, token), prefix=GATEWAY_PREFIX)

`POST /heartbeat` takes an `AgentHeartbeatMessage`, `POST /events` a `KernelEventBatch`.
Every request must carry the shared agent token in `X-Sokovan-Agent-Token`; it is checked
before the body is even read, so nothing about the endpoints leaks to an unauthenticated
caller (401). A malformed body is 422, a malformed value inside it 400, an unknown scaling
group 404, an unavailable database 503; errors answer `{"detail": "..."}`.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from typing import Any, Final, NoReturn

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict

from sokovan.agent.protocol import (
    AGENT_TOKEN_HEADER,
    AgentHeartbeatMessage,
    GatewayKind,
    KernelEventBatch,
)
from sokovan.agent_gateway.service import AgentGatewayService
from sokovan.common.errors import SokovanError

UNAUTHORIZED_DETAIL: Final = f"missing or invalid {AGENT_TOKEN_HEADER} header"


class HeartbeatAccepted(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: "registered", "updated", "reincarnated" or "revived".
    outcome: str


class EventsAccepted(BaseModel):
    model_config = ConfigDict(frozen=True)

    applied: int
    unchanged: int
    ignored: int


def create_agent_gateway_router(service: AgentGatewayService, token: str) -> APIRouter:
    """The gateway's routes (without prefix), guarded by `token`; ValueError if it is empty."""
    if not token:
        raise ValueError("the agent gateway needs a non-empty agent token")
    router = APIRouter(route_class=_token_checked_route(token.encode()))

    @router.post(f"/{GatewayKind.HEARTBEAT.value}", response_model=HeartbeatAccepted)
    async def heartbeat(message: AgentHeartbeatMessage) -> HeartbeatAccepted:
        try:
            outcome = await service.heartbeat(message)
        except SokovanError as exc:
            _raise_http(exc)
        return HeartbeatAccepted(outcome=outcome.value)

    @router.post(f"/{GatewayKind.EVENTS.value}", response_model=EventsAccepted)
    async def events(batch: KernelEventBatch) -> EventsAccepted:
        try:
            applied = await service.apply_events(batch)
        except SokovanError as exc:
            _raise_http(exc)
        return EventsAccepted(
            applied=applied.applied, unchanged=applied.unchanged, ignored=applied.ignored
        )

    return router


def _raise_http(exc: SokovanError) -> NoReturn:
    raise HTTPException(status_code=exc.http_status, detail=str(exc)) from exc


def _token_checked_route(expected: bytes) -> type[APIRoute]:
    """A route class that answers 401 before FastAPI parses the body of a bad request."""

    class TokenCheckedRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handle = super().get_route_handler()

            async def checked(request: Request) -> Response:
                presented = request.headers.get(AGENT_TOKEN_HEADER, "").encode()
                # Constant-time comparison: the answer's timing says nothing about the token.
                if not hmac.compare_digest(presented, expected):
                    return JSONResponse({"detail": UNAUTHORIZED_DETAIL}, status_code=401)
                return await handle(request)

            return checked

    return TokenCheckedRoute
