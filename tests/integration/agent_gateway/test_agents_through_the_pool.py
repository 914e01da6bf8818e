"""Launcher and terminator over the real AgentClientPool, a FastAPI fake agent and real rows.

The pool resolves the agent's address from the agents table (registered by a heartbeat),
speaks the wire protocol to a tiny agent served in-process (httpx.ASGITransport), and the
kernel state engine writes the outcomes to the real kernel rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from integration.scheduler.coordinator_world import (
    build_world,
    kernel_rows,
    session_row,
    set_kernel,
)
from sokovan.agent.protocol import (
    CheckAndPullRequest,
    CheckAndPullResponse,
    CreateKernelsRequest,
    CreateKernelsResponse,
    DestroyKernelRequest,
    DestroyKernelResponse,
    ImagePullResult,
    ImagePullStatus,
)
from sokovan.clients import AgentClientPool
from sokovan.common.clock import ManualClock
from sokovan.common.ids import AgentId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ScheduleType
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.infra.valkey_schedule.memory import InMemoryValkeySchedule
from sokovan.repositories.agent import AgentHeartbeat, AgentRepository
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.conditions import SessionConditions, SessionQuerier
from sokovan.scheduler.handlers.lifecycle import CheckPreconditionLifecycleHandler
from sokovan.scheduler.kernel.state_engine import KernelStateEngine
from sokovan.scheduler.launcher.launcher import SessionLauncher
from sokovan.scheduler.terminator.terminator import SessionTerminator
from support.factories import (
    T0,
    KernelSpec,
    Tenant,
    add_image,
    add_scaling_group,
    add_session,
    add_tenant,
)
from unit.sokovan.agent_gateway.gateway_fakes import TOKEN


@dataclass
class AgentLog:
    pulled: list[CheckAndPullRequest] = field(default_factory=list)
    created: list[CreateKernelsRequest] = field(default_factory=list)
    destroyed: list[DestroyKernelRequest] = field(default_factory=list)


def agent_app(log: AgentLog) -> FastAPI:
    app = FastAPI()

    @app.post("/rpc/check_and_pull")
    async def check_and_pull(request: CheckAndPullRequest) -> CheckAndPullResponse:
        log.pulled.append(request)
        return CheckAndPullResponse(
            results=[
                ImagePullResult(
                    name=i.name, architecture=i.architecture, status=ImagePullStatus.READY
                )
                for i in request.images
            ]
        )

    @app.post("/rpc/create_kernels")
    async def create_kernels(request: CreateKernelsRequest) -> CreateKernelsResponse:
        log.created.append(request)
        return CreateKernelsResponse(accepted=[c.kernel_id for c in request.kernel_configs])

    @app.post("/rpc/destroy_kernel")
    async def destroy_kernel(request: DestroyKernelRequest) -> DestroyKernelResponse:
        log.destroyed.append(request)
        return DestroyKernelResponse(known=True)

    return app


@dataclass
class World:
    engine: AsyncEngine
    repository: SchedulerRepository
    launcher: SessionLauncher
    terminator: SessionTerminator
    log: AgentLog
    tenant: Tenant
    clock: ManualClock


@pytest.fixture
async def world(db_engine: AsyncEngine) -> AsyncIterator[World]:
    await add_scaling_group(db_engine)
    await add_image(db_engine, "python:3.11")
    clock = ManualClock(T0)
    agents = AgentRepository(db_engine, clock)
    await agents.handle_heartbeat(heartbeat_at("http://agent-a1.internal:6001"))
    repository = SchedulerRepository(db_engine, clock)
    hints = InMemoryValkeySchedule(clock)
    kernels = KernelStateEngine(repository, hints)
    log = AgentLog()
    transport = httpx.ASGITransport(app=agent_app(log))
    async with AgentClientPool(TOKEN, resolver=agents, transport=transport) as pool:
        yield World(
            db_engine,
            repository,
            SessionLauncher(pool, kernels, repository),
            SessionTerminator(pool, agents, kernels, hints),
            log,
            await add_tenant(db_engine),
            clock,
        )


def heartbeat_at(addr: str) -> AgentHeartbeat:
    return AgentHeartbeat(
        agent_id=AgentId("a1"),
        instance_id="i-1",
        scaling_group="default",
        architecture="x86_64",
        available_slots=ResourceSlot({"cpu": 8}),
        addr=addr,
        watcher_addr=None,
        version="",
    )


async def set_session_status(engine: AsyncEngine, session_id: SessionId, status: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            sa.update(t.sessions).where(t.sessions.c.id == session_id).values(status=status)
        )


async def test_a_session_is_pulled_started_and_terminated_through_the_pool(world: World) -> None:
    session_id, (kernel_id,) = await add_session(
        world.engine,
        world.tenant,
        status=SessionStatus.SCHEDULED,
        kernels=[KernelSpec(agent_id="a1", status=KernelStatus.SCHEDULED)],
    )

    pull = await world.repository.get_sessions_for_pull_by_ids([session_id])
    await world.launcher.trigger_image_pulling(pull.sessions, pull.image_configs)

    assert [image.name for image in world.log.pulled[0].images] == ["python:3.11"]
    assert [row.status for row in await kernel_rows(world.engine, session_id)] == [
        KernelStatus.PREPARED
    ]

    await set_session_status(world.engine, session_id, SessionStatus.PREPARED)
    querier = SessionQuerier((SessionConditions.by_ids([session_id]),))
    to_start = await world.repository.search_sessions_with_kernels_and_user(querier)
    await world.launcher.start_sessions_for_handler(to_start.sessions, to_start.image_configs)

    (request,) = world.log.created
    (config,) = request.kernel_configs
    assert config.kernel_id == str(kernel_id)
    assert config.environ["BACKENDAI_USER_UUID"] == str(world.tenant.user_id)
    assert config.environ["BACKENDAI_ACCESS_KEY"] == world.tenant.access_key
    assert config.image.environment == {"command": ["python3"]}

    await set_session_status(world.engine, session_id, SessionStatus.TERMINATING)
    await set_kernel(world.engine, kernel_id, status=KernelStatus.RUNNING)
    terminating = await world.repository.get_terminating_sessions_by_ids([session_id])
    await world.terminator.terminate_sessions_for_handler(terminating)

    assert [r.kernel_id for r in world.log.destroyed] == [str(kernel_id)]


async def test_a_session_whose_image_is_ready_reaches_prepared_through_the_coordinator(
    world: World,
) -> None:
    session_id, _ = await add_session(
        world.engine,
        world.tenant,
        status=SessionStatus.SCHEDULED,
        kernels=[KernelSpec(agent_id="a1", status=KernelStatus.SCHEDULED)],
    )
    handler = CheckPreconditionLifecycleHandler(world.repository, world.launcher)
    coordinator = build_world(
        world.engine, lifecycle={ScheduleType.CHECK_PRECONDITION: handler}, clock=world.clock
    )

    await coordinator.run(ScheduleType.CHECK_PRECONDITION)
    await coordinator.run(ScheduleType.CHECK_PULLING_PROGRESS)

    assert (await session_row(world.engine, session_id)).status is SessionStatus.PREPARED
