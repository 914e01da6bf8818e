"""The agent's client of the manager's agent gateway (heartbeats and kernel events)."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
from pydantic import BaseModel

from sokovan.agent.protocol import (
    AGENT_TOKEN_HEADER,
    GATEWAY_PREFIX,
    AgentHeartbeatMessage,
    GatewayKind,
    KernelEvent,
    KernelEventBatch,
)

DEFAULT_TIMEOUT = 10.0


#: Refusals that may clear up by themselves (a manager being reconfigured or overloaded).
_TRANSIENT_STATUSES = frozenset({401, 403, 408, 429})


class GatewayError(Exception):
    """The manager could not be reached or refused the message."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code

    @property
    def retryable(self) -> bool:
        """False when the manager rejected the message itself: sending it again cannot help."""
        code = self.status_code
        return code is None or code >= 500 or code in _TRANSIENT_STATUSES


class ManagerGateway:
    def __init__(
        self,
        manager_url: str,
        token: str,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=manager_url.rstrip("/") + GATEWAY_PREFIX,
            headers={AGENT_TOKEN_HEADER: token},
            timeout=timeout,
            transport=transport,
        )

    async def send_heartbeat(self, message: AgentHeartbeatMessage) -> None:
        await self._post(GatewayKind.HEARTBEAT, message)

    async def send_events(self, events: Sequence[KernelEvent]) -> None:
        await self._post(GatewayKind.EVENTS, KernelEventBatch(events=list(events)))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _post(self, kind: GatewayKind, body: BaseModel) -> None:
        try:
            response = await self._client.post(
                f"/{kind}",
                content=body.model_dump_json(),
                headers={"Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise GatewayError(f"manager unreachable ({type(exc).__name__}: {exc})") from exc
        if response.is_error:
            raise GatewayError(
                f"manager answered {response.status_code} to {kind}: {response.text[:500]}",
                response.status_code,
            )
