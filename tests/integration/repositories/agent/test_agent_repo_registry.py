"""AgentRepository: reads, liveness writes, usage recalculation and registry sync (seed 004)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.clock import ManualClock
from sokovan.common.errors import InvalidInputError, NotFoundError
from sokovan.common.ids import AgentId, KernelId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import AgentStatus, KernelStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.agent import AgentInfo, AgentRepository
from support.factories import T0, KernelSpec, add_agent, add_scaling_group, add_session, add_tenant


async def test_get_agent_and_unknown_agent(repo: AgentRepository, db_engine: AsyncEngine) -> None:
    await add_agent(db_engine, "a1", watcher_addr="http://10.0.0.1:6009")

    agent = await repo.get_agent(AgentId("a1"))

    assert agent.agent_id == "a1"
    assert agent.instance_id == "i-a1"
    assert agent.available_slots == ResourceSlot({"cpu": 8, "mem": 32 * 2**30})
    assert agent.watcher_addr == "http://10.0.0.1:6009"
    with pytest.raises(NotFoundError, match="agent 'ghost' not found"):
        await repo.get_agent(AgentId("ghost"))


async def test_list_agents_filters_and_orders_by_id(
    repo: AgentRepository, db_engine: AsyncEngine
) -> None:
    await add_scaling_group(db_engine, "gpu")
    await add_agent(db_engine, "c", scaling_group="gpu")
    await add_agent(db_engine, "a")
    await add_agent(db_engine, "b", status=AgentStatus.LOST)

    def ids(agents: list[AgentInfo]) -> list[str]:
        return [agent.agent_id for agent in agents]

    assert ids(await repo.list_agents()) == ["a", "b", "c"]
    assert ids(await repo.list_agents(scaling_group="default")) == ["a", "b"]
    assert ids(await repo.list_agents(statuses=[AgentStatus.ALIVE])) == ["a", "c"]
    assert ids(await repo.list_agents("default", [AgentStatus.ALIVE])) == ["a"]
    assert await repo.list_agents(statuses=[]) == []


async def test_mark_lost_agents_only_touches_silent_alive_agents(
    repo: AgentRepository, db_engine: AsyncEngine, clock: ManualClock
) -> None:
    await add_agent(db_engine, "silent")
    await add_agent(db_engine, "fresh", last_heartbeat=T0 + timedelta(seconds=50))
    await add_agent(db_engine, "gone", status=AgentStatus.TERMINATED)
    await add_agent(db_engine, "already-lost", status=AgentStatus.LOST, lost_at=T0)
    clock.advance(timedelta(seconds=61))

    lost = await repo.mark_lost_agents(heartbeat_timeout=60)

    assert lost == ["silent"]
    silent = await repo.get_agent(AgentId("silent"))
    assert silent.status is AgentStatus.LOST
    assert silent.lost_at == silent.status_changed == T0 + timedelta(seconds=61)
    assert (await repo.get_agent(AgentId("fresh"))).status is AgentStatus.ALIVE
    assert (await repo.get_agent(AgentId("gone"))).status is AgentStatus.TERMINATED
    assert (await repo.get_agent(AgentId("already-lost"))).lost_at == T0
    assert await repo.mark_lost_agents(heartbeat_timeout=60) == []


@pytest.mark.parametrize("seconds", [0, -5.0])
async def test_mark_lost_agents_refuses_non_positive_timeout(
    repo: AgentRepository, seconds: float
) -> None:
    with pytest.raises(InvalidInputError, match="positive"):
        await repo.mark_lost_agents(seconds)


async def test_mark_agent_terminated_is_idempotent(
    repo: AgentRepository, db_engine: AsyncEngine, clock: ManualClock
) -> None:
    await add_agent(db_engine, "a1")
    clock.advance(timedelta(seconds=5))
    assert await repo.mark_agent_terminated(AgentId("a1")) is True
    clock.advance(timedelta(seconds=5))
    assert await repo.mark_agent_terminated(AgentId("a1")) is True

    agent = await repo.get_agent(AgentId("a1"))
    assert agent.status is AgentStatus.TERMINATED
    assert agent.status_changed == T0 + timedelta(seconds=5)
    assert await repo.mark_agent_terminated(AgentId("ghost")) is False


async def test_set_schedulable(repo: AgentRepository, db_engine: AsyncEngine) -> None:
    await add_agent(db_engine, "a1")

    await repo.set_schedulable(AgentId("a1"), False)
    assert (await repo.get_agent(AgentId("a1"))).schedulable is False
    await repo.set_schedulable(AgentId("a1"), True)
    assert (await repo.get_agent(AgentId("a1"))).schedulable is True
    with pytest.raises(NotFoundError):
        await repo.set_schedulable(AgentId("ghost"), False)


async def test_agent_and_watcher_addresses(repo: AgentRepository, db_engine: AsyncEngine) -> None:
    await add_agent(
        db_engine, "a1", addr="http://10.0.0.1:6001", watcher_addr="http://10.0.0.1:6009"
    )
    await add_agent(db_engine, "a2", addr="http://10.0.0.2:6001")

    addresses = await repo.get_agent_addresses([AgentId("a1"), AgentId("a2"), AgentId("ghost")])

    assert addresses == {"a1": "http://10.0.0.1:6001", "a2": "http://10.0.0.2:6001"}
    assert await repo.get_agent_addresses([]) == {}
    instance_ids = await repo.get_instance_ids([AgentId("a1"), AgentId("ghost")])
    assert instance_ids == {"a1": (await repo.get_agent(AgentId("a1"))).instance_id}
    assert await repo.get_instance_ids([]) == {}
    assert await repo.get_watcher_address(AgentId("a1")) == "http://10.0.0.1:6009"
    assert await repo.get_watcher_address(AgentId("a2")) is None
    with pytest.raises(NotFoundError):
        await repo.get_watcher_address(AgentId("ghost"))


async def _two_agents_with_drifted_occupancy(engine: AsyncEngine) -> dict[str, list[KernelId]]:
    """Agents a1 (cached as full) and a2 (cached as empty) whose kernels say otherwise."""
    tenant = await add_tenant(engine)
    await add_agent(engine, "a1", occupied={"cpu": 8}, container_count=7)
    await add_agent(engine, "a2")
    await add_agent(engine, "idle", occupied={"cpu": 1}, container_count=1)
    _, running = await add_session(
        engine,
        tenant,
        status=SessionStatus.RUNNING,
        kernels=[
            KernelSpec(agent_id="a1", slots={"cpu": "0.1"}),
            KernelSpec(agent_id="a1", slots={"cpu": "0.2", "cuda.shares": "0.3"}),
            KernelSpec(agent_id="a2", slots={"cpu": 2, "mem": 2**30}),
        ],
    )
    _, finished = await add_session(
        engine,
        tenant,
        status=SessionStatus.TERMINATED,
        kernels=[KernelSpec(agent_id="a1", slots={"cpu": 4})],
    )
    return {"running": running, "finished": finished}


async def test_as_6_1_recalculate_usage_matches_kernels(
    repo: AgentRepository, db_engine: AsyncEngine
) -> None:
    await _two_agents_with_drifted_occupancy(db_engine)

    assert await repo.recalculate_usage() == 3

    a1, a2, idle = await repo.list_agents()
    assert a1.occupied_slots == ResourceSlot({"cpu": "0.3", "cuda.shares": "0.3"})
    assert a1.container_count == 2
    assert a2.occupied_slots == ResourceSlot({"cpu": 2, "mem": 2**30})
    assert a2.container_count == 1
    assert (idle.occupied_slots, idle.container_count) == (ResourceSlot(), 0)


async def test_as_6_2_recalculate_usage_without_agents(repo: AgentRepository) -> None:
    assert await repo.recalculate_usage() == 0
    assert await repo.list_agents() == []


async def test_as_1_1_sync_returns_fresh_agent_row(
    repo: AgentRepository, db_engine: AsyncEngine
) -> None:
    await _two_agents_with_drifted_occupancy(db_engine)

    agent = await repo.sync_agent_kernel_registry(AgentId("a1"))

    assert agent == await repo.get_agent(AgentId("a1"))
    assert agent.occupied_slots == ResourceSlot({"cpu": "0.3", "cuda.shares": "0.3"})
    assert agent.container_count == 2
    # Only the named agent is recomputed.
    assert (await repo.get_agent(AgentId("idle"))).container_count == 1


async def test_as_1_2_sync_unknown_agent(repo: AgentRepository, db_engine: AsyncEngine) -> None:
    await _two_agents_with_drifted_occupancy(db_engine)

    with pytest.raises(NotFoundError, match="agent 'invalid-agent' not found"):
        await repo.sync_agent_kernel_registry(AgentId("invalid-agent"))

    assert (await repo.get_agent(AgentId("a1"))).container_count == 7


async def test_find_unreported_kernels_lists_running_kernels_the_agent_lacks(
    repo: AgentRepository, db_engine: AsyncEngine
) -> None:
    kernels = await _two_agents_with_drifted_occupancy(db_engine)
    first, second, _on_a2 = kernels["running"]
    async with db_engine.begin() as conn:
        await conn.execute(
            t.kernels.update().where(t.kernels.c.id == second).values(status=KernelStatus.CREATING)
        )

    unreported = await repo.find_unreported_kernels(AgentId("a1"), [KernelId(uuid.uuid4())])
    reported = await repo.find_unreported_kernels(AgentId("a1"), [first])

    # The CREATING kernel may not exist on the agent yet; the TERMINATED one is over.
    assert unreported == [first]
    assert reported == []
    assert await repo.find_unreported_kernels(AgentId("a2"), []) == kernels["running"][2:]
    assert await repo.find_unreported_kernels(AgentId("ghost"), []) == []


async def test_occupancy_writes_leave_kernels_alone(
    repo: AgentRepository, db_engine: AsyncEngine
) -> None:
    await _two_agents_with_drifted_occupancy(db_engine)

    await repo.recalculate_usage()
    await repo.sync_agent_kernel_registry(AgentId("a1"))

    async with db_engine.connect() as conn:
        statuses = (await conn.scalars(sa.select(t.kernels.c.status))).all()
    assert sorted(statuses) == sorted([KernelStatus.RUNNING] * 3 + [KernelStatus.TERMINATED])
