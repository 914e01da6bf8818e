"""The agent gateway over the real repositories and the in-process hint store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from integration.scheduler.coordinator_world import agent_row, kernel_rows
from sokovan.agent.protocol import AGENT_TOKEN_HEADER, GATEWAY_PREFIX
from sokovan.agent_gateway import AgentGatewayService, create_agent_gateway_router
from sokovan.common.clock import ManualClock
from sokovan.common.ids import KernelId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ScheduleType
from sokovan.common.status import AgentStatus, KernelStatus, SessionStatus
from sokovan.infra.valkey_schedule.base import KernelPresence
from sokovan.infra.valkey_schedule.memory import InMemoryValkeySchedule
from sokovan.repositories.agent import AgentRepository
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.scheduler.kernel.state_engine import KernelStateEngine
from support.factories import T0, KernelSpec, add_scaling_group, add_session, add_tenant
from unit.sokovan.agent_gateway.gateway_fakes import TOKEN, event_body, heartbeat_body


@dataclass
class Manager:
    engine: AsyncEngine
    clock: ManualClock
    hints: InMemoryValkeySchedule
    http: httpx.AsyncClient

    async def post(self, kind: str, body: Any) -> httpx.Response:
        return await self.http.post(
            f"{GATEWAY_PREFIX}/{kind}", json=body, headers={AGENT_TOKEN_HEADER: TOKEN}
        )


@pytest.fixture
async def manager(db_engine: AsyncEngine) -> AsyncIterator[Manager]:
    await add_scaling_group(db_engine)
    clock = ManualClock(T0)
    hints = InMemoryValkeySchedule(clock)
    engine = KernelStateEngine(SchedulerRepository(db_engine, clock), hints)
    service = AgentGatewayService(AgentRepository(db_engine, clock), hints, engine)
    app = FastAPI()
    app.include_router(create_agent_gateway_router(service, TOKEN), prefix=GATEWAY_PREFIX)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://manager") as http:
        yield Manager(db_engine, clock, hints, http)


async def test_a_heartbeat_registers_the_agent_and_its_kernels_presence(manager: Manager) -> None:
    kernel_id = KernelId(uuid.UUID(int=42))

    response = await manager.post("heartbeat", heartbeat_body(running_kernel_ids=[str(kernel_id)]))

    assert response.json() == {"outcome": "registered"}
    agent = await agent_row(manager.engine, "a1")
    assert (agent.status, agent.instance_id, agent.addr) == (
        AgentStatus.ALIVE,
        "i-1",
        "http://127.0.0.1:6001",
    )
    assert agent.available_slots == ResourceSlot({"cpu": 8, "mem": 34359738368})
    presence = await manager.hints.check_kernel_presence([kernel_id])
    assert presence == {kernel_id: KernelPresence.ALIVE}
    assert await manager.hints.load_and_delete_schedule_mark(ScheduleType.SCHEDULE)


async def test_an_unknown_scaling_group_writes_nothing(manager: Manager) -> None:
    response = await manager.post("heartbeat", heartbeat_body(scaling_group="nowhere"))
    assert response.status_code == 404
    assert await AgentRepository(manager.engine).list_agents() == []


async def test_events_move_real_kernels_and_an_old_incarnation_is_not_heard(
    manager: Manager,
) -> None:
    await manager.post("heartbeat", heartbeat_body(instance_id="i-1"))
    tenant = await add_tenant(manager.engine)
    session_id, (kernel_id,) = await add_session(
        manager.engine,
        tenant,
        status=SessionStatus.CREATING,
        kernels=[KernelSpec(agent_id="a1", status=KernelStatus.CREATING)],
    )
    started = event_body("kernel_started", kernel_id=str(kernel_id), container_id="pid-1")

    applied = await manager.post("events", {"events": [started]})
    assert applied.json() == {"applied": 1, "unchanged": 0, "ignored": 0}
    assert await manager.hints.load_and_delete_schedule_mark(ScheduleType.CHECK_CREATING_PROGRESS)

    # The agent restarts; a late report of its previous process must not end the kernel.
    manager.clock.advance(timedelta(seconds=5))
    reincarnated = await manager.post("heartbeat", heartbeat_body(instance_id="i-2"))
    assert reincarnated.json() == {"outcome": "reincarnated"}
    late = event_body("kernel_terminated", kernel_id=str(kernel_id), instance_id="i-1")
    ignored = await manager.post("events", {"events": [late]})

    assert ignored.json() == {"applied": 0, "unchanged": 0, "ignored": 1}
    (row,) = await kernel_rows(manager.engine, session_id)
    assert (row.status, row.container_id) == (KernelStatus.RUNNING, "pid-1")

    current = event_body(
        "kernel_terminated", kernel_id=str(kernel_id), instance_id="i-2", exit_code=0
    )
    await manager.post("events", {"events": [current]})
    (row,) = await kernel_rows(manager.engine, session_id)
    assert (row.status, row.exit_code) == (KernelStatus.TERMINATED, 0)
