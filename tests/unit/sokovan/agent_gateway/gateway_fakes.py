"""A gateway service over recording fakes, and an HTTP client for its router."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from fastapi import FastAPI

from sokovan.agent.protocol import AGENT_TOKEN_HEADER, GATEWAY_PREFIX
from sokovan.agent_gateway import AgentGatewayService, create_agent_gateway_router
from sokovan.common.errors import NotFoundError, SokovanError
from sokovan.common.ids import AgentId, KernelId
from sokovan.common.scheduling import ScheduleType
from sokovan.repositories.agent.types import AgentHeartbeat, AgentInfo, HeartbeatOutcome
from sokovan.scheduler.kernel.events import AgentKernelEvent, EventApplication
from unit.sokovan.scheduler.terminator.terminator_fakes import agent_info

TOKEN = "agent-token"
T0_TEXT = "2026-01-01T00:00:00Z"


@dataclass
class Registry:
    """Agents by id; `handle_heartbeat` registers or updates like the real repository."""

    agents: dict[AgentId, AgentInfo] = field(default_factory=dict)
    heartbeats: list[AgentHeartbeat] = field(default_factory=list)
    scaling_groups: set[str] = field(default_factory=lambda: {"default"})
    error: SokovanError | None = None
    #: The agent ids of each `get_instance_ids` call.
    instance_queries: list[list[AgentId]] = field(default_factory=list)

    async def handle_heartbeat(self, heartbeat: AgentHeartbeat) -> HeartbeatOutcome:
        if self.error is not None:
            raise self.error
        if heartbeat.scaling_group not in self.scaling_groups:
            raise NotFoundError(f"scaling group {heartbeat.scaling_group!r} does not exist")
        self.heartbeats.append(heartbeat)
        known = self.agents.get(heartbeat.agent_id)
        self.agents[heartbeat.agent_id] = replace(
            agent_info(heartbeat.agent_id), instance_id=heartbeat.instance_id
        )
        if known is None:
            return HeartbeatOutcome.REGISTERED
        if known.instance_id != heartbeat.instance_id:
            return HeartbeatOutcome.REINCARNATED
        return HeartbeatOutcome.UPDATED

    async def get_instance_ids(self, agent_ids: Collection[AgentId]) -> dict[AgentId, str]:
        self.instance_queries.append(sorted(agent_ids))
        return {a: self.agents[a].instance_id for a in agent_ids if a in self.agents}


@dataclass
class Hints:
    present: list[list[KernelId]] = field(default_factory=list)
    marked: list[ScheduleType] = field(default_factory=list)
    fail: bool = False

    async def update_kernel_presence(self, kernel_ids: Sequence[KernelId]) -> None:
        if self.fail:
            raise ConnectionError("redis down")
        self.present.append(list(kernel_ids))

    async def mark_schedule_needed(self, schedule_type: ScheduleType) -> None:
        self.marked.append(schedule_type)


@dataclass
class Events:
    batches: list[tuple[list[AgentKernelEvent], dict[AgentId, str]]] = field(default_factory=list)

    async def apply_events(
        self, events: Sequence[AgentKernelEvent], incarnations: Mapping[AgentId, str]
    ) -> EventApplication:
        self.batches.append((list(events), dict(incarnations)))
        return EventApplication(applied=len(events))


@dataclass
class Gateway:
    registry: Registry
    hints: Hints
    events: Events
    http: httpx.AsyncClient

    async def post(self, kind: str, body: Any, token: str | None = TOKEN) -> httpx.Response:
        headers = {AGENT_TOKEN_HEADER: token} if token is not None else {}
        return await self.http.post(f"{GATEWAY_PREFIX}/{kind}", json=body, headers=headers)


@asynccontextmanager
async def gateway() -> AsyncIterator[Gateway]:
    registry, hints, events = Registry(), Hints(), Events()
    app = FastAPI()
    service = AgentGatewayService(registry, hints, events)
    app.include_router(create_agent_gateway_router(service, TOKEN), prefix=GATEWAY_PREFIX)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://manager") as http:
        yield Gateway(registry, hints, events, http)


def heartbeat_body(**overrides: Any) -> dict[str, Any]:
    return {
        "agent_id": "a1",
        "instance_id": "i-1",
        "scaling_group": "default",
        "architecture": "x86_64",
        "available_slots": {"cpu": "8", "mem": "34359738368"},
        "images": ["python:3.11"],
        "addr": "http://127.0.0.1:6001",
        "version": "0.1.0",
        "running_kernel_ids": [],
        **overrides,
    }


def event_body(kind: str, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "agent_id": "a1",
        "instance_id": "i-1",
        "occurred_at": T0_TEXT,
        **overrides,
    }
