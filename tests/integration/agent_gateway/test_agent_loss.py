"""Agent loss against real rows: LOST after silence, kernels released after the grace period.

Seed 000 SK-003 ("agent LOST → its kernel ends") holds through this path rather than the
stale-kernel sweep: the sweep never kills a kernel it cannot confirm dead, and a LOST agent
cannot confirm anything. The session then ends through detect-termination.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from integration.repositories.scheduler.test_update_with_history import (
    assert_occupancy_consistent,
)
from integration.scheduler.coordinator_world import (
    agent_row,
    build_world,
    kernel_rows,
    session_row,
)
from sokovan.common.clock import ManualClock
from sokovan.common.ids import AgentId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ScheduleType
from sokovan.common.status import AgentStatus, KernelStatus, SessionStatus
from sokovan.infra.valkey_schedule.memory import InMemoryValkeySchedule
from sokovan.repositories.agent import AgentHeartbeat, AgentRepository, HeartbeatOutcome
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.scheduler.agent_liveness import AgentLivenessMonitor
from sokovan.scheduler.kernel.state_engine import KernelStateEngine
from support.factories import T0, KernelSpec, Tenant, add_scaling_group, add_session, add_tenant

TIMEOUT, GRACE = 30.0, 60.0
CPU2 = {"cpu": 2, "mem": 2**30}


def heartbeat(instance_id: str = "i-1") -> AgentHeartbeat:
    return AgentHeartbeat(
        agent_id=AgentId("a1"),
        instance_id=instance_id,
        scaling_group="default",
        architecture="x86_64",
        available_slots=ResourceSlot({"cpu": 16, "mem": 2**36}),
        addr="http://127.0.0.1:6001",
        watcher_addr=None,
        version="0.1.0",
    )


class Cluster:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.clock = ManualClock(T0)
        self.agents = AgentRepository(engine, self.clock)
        self.hints = InMemoryValkeySchedule(self.clock)
        self.kernels = KernelStateEngine(SchedulerRepository(engine, self.clock), self.hints)
        self.monitor = AgentLivenessMonitor(
            self.agents,
            self.kernels,
            self.clock,
            heartbeat_timeout=TIMEOUT,
            kernel_grace_period=GRACE,
        )

    def at(self, seconds: float) -> None:
        self.clock.set(T0 + timedelta(seconds=seconds))

    async def running_session(self, tenant: Tenant, kernels: int = 2) -> SessionId:
        session_id, _ = await add_session(
            self.engine,
            tenant,
            status=SessionStatus.RUNNING,
            kernels=[KernelSpec(slots=CPU2, agent_id="a1", status=KernelStatus.RUNNING)] * kernels,
        )
        await self.agents.recalculate_usage()
        return session_id

    async def kernel_statuses(self, session_id: SessionId) -> list[KernelStatus]:
        return [row.status for row in await kernel_rows(self.engine, session_id)]


@pytest.fixture
async def cluster(db_engine: AsyncEngine) -> Cluster:
    await add_scaling_group(db_engine)
    world = Cluster(db_engine)
    assert await world.agents.handle_heartbeat(heartbeat()) is HeartbeatOutcome.REGISTERED
    return world


@pytest.fixture
async def tenant(db_engine: AsyncEngine, cluster: Cluster) -> Tenant:
    return await add_tenant(db_engine)


async def test_sk_003_a_lost_agents_kernels_end_after_the_grace_period(
    db_engine: AsyncEngine, cluster: Cluster, tenant: Tenant
) -> None:
    session_id = await cluster.running_session(tenant)

    cluster.at(TIMEOUT)
    assert (await cluster.monitor.check()).newly_lost == ()
    cluster.at(TIMEOUT + 1)
    report = await cluster.monitor.check()
    assert report.newly_lost == ("a1",)
    assert report.terminated_kernels == ()
    assert (await agent_row(db_engine, "a1")).status is AgentStatus.LOST
    assert await cluster.kernel_statuses(session_id) == [KernelStatus.RUNNING] * 2

    cluster.at(TIMEOUT + 1 + GRACE - 1)
    assert (await cluster.monitor.check()).terminated_kernels == ()
    cluster.at(TIMEOUT + 1 + GRACE)
    report = await cluster.monitor.check()

    assert report.released == ("a1",)
    assert len(report.terminated_kernels) == 2
    rows = await kernel_rows(db_engine, session_id)
    assert [(row.status, row.status_info) for row in rows] == [
        (KernelStatus.TERMINATED, "agent-lost")
    ] * 2
    agent = await agent_row(db_engine, "a1")
    assert (agent.occupied_slots, agent.container_count) == (ResourceSlot(), 0)
    assert await cluster.hints.load_and_delete_schedule_mark(ScheduleType.DETECT_KERNEL_TERMINATION)
    await assert_occupancy_consistent(db_engine)
    # A second pass finds nothing left to do.
    assert (await cluster.monitor.check()).terminated_kernels == ()


async def test_the_session_of_released_kernels_ends_through_detect_termination(
    db_engine: AsyncEngine, cluster: Cluster, tenant: Tenant
) -> None:
    session_id = await cluster.running_session(tenant, kernels=1)
    cluster.at(TIMEOUT + 1)
    await cluster.monitor.check()
    cluster.at(TIMEOUT + 1 + GRACE)
    await cluster.monitor.check()

    await build_world(db_engine, clock=cluster.clock).run(ScheduleType.DETECT_KERNEL_TERMINATION)

    row = await session_row(db_engine, session_id)
    assert row.status is SessionStatus.TERMINATING
    assert row.occupying_slots == ResourceSlot()


async def test_an_agent_back_within_the_grace_period_keeps_its_kernels(
    db_engine: AsyncEngine, cluster: Cluster, tenant: Tenant
) -> None:
    session_id = await cluster.running_session(tenant)
    cluster.at(TIMEOUT + 1)
    await cluster.monitor.check()

    cluster.at(TIMEOUT + GRACE / 2)
    assert await cluster.agents.handle_heartbeat(heartbeat("i-2")) is HeartbeatOutcome.REVIVED
    cluster.at(TIMEOUT + GRACE * 2)
    report = await cluster.monitor.check()

    assert report.terminated_kernels == ()
    assert await cluster.kernel_statuses(session_id) == [KernelStatus.RUNNING] * 2


async def test_a_new_incarnations_kernels_are_never_released_for_the_old_ones_loss(
    db_engine: AsyncEngine, cluster: Cluster, tenant: Tenant
) -> None:
    old_session = await cluster.running_session(tenant, kernels=1)
    cluster.at(TIMEOUT + 1)
    await cluster.monitor.check()
    cluster.at(TIMEOUT + 1 + GRACE)
    await cluster.monitor.check()

    # The agent restarts as a new process and gets new work.
    cluster.at(TIMEOUT + 1 + GRACE + 5)
    await cluster.agents.handle_heartbeat(heartbeat("i-2"))
    new_session = await cluster.running_session(tenant, kernels=1)
    report = await cluster.monitor.check()

    assert report.terminated_kernels == ()
    assert await cluster.kernel_statuses(old_session) == [KernelStatus.TERMINATED]
    assert await cluster.kernel_statuses(new_session) == [KernelStatus.RUNNING]
