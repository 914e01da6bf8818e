"""allocate_sessions: all-or-nothing per session, re-checked under lock, never overcommitting."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from test_update_with_history import (
    LATER,
    assert_occupancy_consistent,
    kernel_rows,
    recorded_statements,
    session_row,
    settle_agents,
)

from sokovan.common.clock import ManualClock
from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import AgentStatus, KernelStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.db.engine import create_engine
from sokovan.repositories.occupancy import lock_agents, refresh_agent_occupancy
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.write_specs import (
    AllocationBatch,
    AllocationOutcome,
    KernelAllocation,
    SessionAllocation,
)
from support.factories import (
    KernelSpec,
    Tenant,
    add_agent,
    add_scaling_group,
    add_session,
    add_tenant,
)
from support.rival import rival_transaction

CPU1 = {"cpu": 1, "mem": 2**30}
CPU2 = {"cpu": 2, "mem": 2**30}


@pytest.fixture
def repo(db_engine: AsyncEngine) -> SchedulerRepository:
    return SchedulerRepository(db_engine, ManualClock(LATER))


@pytest.fixture
async def tenant(db_engine: AsyncEngine) -> Tenant:
    await add_scaling_group(db_engine)
    return await add_tenant(db_engine)


async def pending(
    engine: AsyncEngine, tenant: Tenant, *slots: Mapping[str, Any]
) -> tuple[SessionId, list[KernelId]]:
    return await add_session(engine, tenant, kernels=[KernelSpec(slots=s) for s in slots or [CPU1]])


def place(
    session_id: SessionId,
    kernels: Sequence[KernelId],
    agents: Sequence[str],
    slots: Sequence[Mapping[str, Any]] | None = None,
) -> SessionAllocation:
    """`kernels[i]` on `agents[i]` with `slots[i]` (default: one cpu, 1 GiB each)."""
    slots = slots or [CPU1] * len(kernels)
    return SessionAllocation(
        session_id,
        "default",
        tuple(
            KernelAllocation(kernel_id, AgentId(agent_id), ResourceSlot(amounts))
            for kernel_id, agent_id, amounts in zip(kernels, agents, slots, strict=True)
        ),
    )


def batch(*allocations: SessionAllocation, roundrobin: int | None = None) -> AllocationBatch:
    return AllocationBatch(
        tuple(allocations), None if roundrobin is None else ("default", roundrobin)
    )


async def agent_row(engine: AsyncEngine, agent_id: str) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(sa.select(t.agents).where(t.agents.c.id == agent_id))).one()


async def test_accepted_sessions_are_scheduled_on_their_agents(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    await add_agent(db_engine, "a1", available={"cpu": 4, "mem": 2**34})
    await add_agent(db_engine, "a2", available={"cpu": 4, "mem": 2**34})
    s1, k1 = await pending(db_engine, tenant, CPU1, CPU2)
    s2, k2 = await pending(db_engine, tenant)

    outcome = await repo.allocate_sessions(
        batch(place(s1, k1, ["a1", "a2"], [CPU1, CPU2]), place(s2, k2, ["a1"]), roundrobin=7)
    )

    assert outcome == AllocationOutcome((s1, s2), ())
    row = await session_row(db_engine, s1)
    assert (row.status, row.status_changed) == (SessionStatus.SCHEDULED, LATER)
    assert row.occupying_slots == ResourceSlot({"cpu": 3, "mem": 2 * 2**30})
    kernels = await kernel_rows(db_engine, s1)
    assert [(k.status, k.agent_id, k.agent_addr) for k in kernels] == [
        (KernelStatus.SCHEDULED, "a1", "http://127.0.0.1:6001/a1"),
        (KernelStatus.SCHEDULED, "a2", "http://127.0.0.1:6001/a2"),
    ]
    assert [k.occupied_slots for k in kernels] == [ResourceSlot(CPU1), ResourceSlot(CPU2)]
    a1 = await agent_row(db_engine, "a1")
    assert (a1.occupied_slots, a1.container_count) == (ResourceSlot({"cpu": 2, "mem": 2**31}), 2)
    async with db_engine.connect() as conn:
        position = await conn.scalar(sa.select(t.scaling_groups.c.roundrobin_next_index))
    assert position == 7
    await assert_occupancy_consistent(db_engine)


async def test_a_session_already_scheduled_is_rejected_as_no_longer_pending(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    await add_agent(db_engine, "a1")
    s1, k1 = await pending(db_engine, tenant)

    first = await repo.allocate_sessions(batch(place(s1, k1, ["a1"])))
    second = await repo.allocate_sessions(batch(place(s1, k1, ["a1"])))
    twice = await repo.allocate_sessions(batch(place(s1, k1, ["a1"]), place(s1, k1, ["a1"])))

    assert first.allocated == (s1,)
    assert second.allocated == ()
    assert [(r.session_id, r.reason) for r in second.rejected] == [
        (s1, "session is no longer PENDING (SCHEDULED)")
    ]
    assert len(twice.rejected) == 2
    assert (await agent_row(db_engine, "a1")).container_count == 1
    await assert_occupancy_consistent(db_engine)


async def test_the_same_session_twice_in_one_batch_is_allocated_once(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    await add_agent(db_engine, "a1")
    s1, k1 = await pending(db_engine, tenant)

    outcome = await repo.allocate_sessions(batch(place(s1, k1, ["a1"]), place(s1, k1, ["a1"])))

    assert outcome.allocated == (s1,)
    assert [r.reason for r in outcome.rejected] == ["session is no longer PENDING (SCHEDULED)"]
    assert (await agent_row(db_engine, "a1")).container_count == 1


async def test_a_partially_fitting_multi_kernel_session_allocates_nothing(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    await add_agent(db_engine, "a1", available={"cpu": 4, "mem": 2**34})
    await add_agent(db_engine, "i-3", available={"cpu": 1, "mem": 2**34})
    s1, k1 = await pending(db_engine, tenant, CPU1, CPU2)

    outcome = await repo.allocate_sessions(batch(place(s1, k1, ["a1", "i-3"], [CPU1, CPU2])))

    assert outcome.allocated == ()
    assert [r.reason for r in outcome.rejected] == [
        "agent i-3 no longer has room: cpu need 2, free 1"
    ]
    assert (await session_row(db_engine, s1)).status is SessionStatus.PENDING
    kernels = await kernel_rows(db_engine, s1)
    assert [(k.status, k.agent_id) for k in kernels] == [(KernelStatus.PENDING, None)] * 2
    for agent_id in ("a1", "i-3"):
        assert (await agent_row(db_engine, agent_id)).container_count == 0
    await assert_occupancy_consistent(db_engine)


async def test_later_sessions_see_what_earlier_sessions_of_the_batch_took(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    await add_agent(db_engine, "a1", available={"cpu": 3, "mem": 2**34})
    await add_session(
        db_engine,
        tenant,
        status=SessionStatus.RUNNING,
        kernels=[KernelSpec(slots=CPU1, agent_id="a1")],
    )
    await settle_agents(db_engine)
    s1, k1 = await pending(db_engine, tenant)
    s2, k2 = await pending(db_engine, tenant)
    s3, k3 = await pending(db_engine, tenant)

    outcome = await repo.allocate_sessions(
        batch(place(s1, k1, ["a1"]), place(s2, k2, ["a1"]), place(s3, k3, ["a1"]))
    )

    assert outcome.allocated == (s1, s2)
    assert [(r.session_id, r.reason) for r in outcome.rejected] == [
        (s3, "agent a1 no longer has room: cpu need 1, free 0")
    ]
    assert (await agent_row(db_engine, "a1")).occupied_slots["cpu"] == 3
    await assert_occupancy_consistent(db_engine)


async def test_the_scaling_group_container_limit_is_enforced(
    db_engine: AsyncEngine, tenant: Tenant
) -> None:
    await add_scaling_group(db_engine, "limited", max_container_count=2)
    await add_agent(db_engine, "a1", scaling_group="limited")
    repo = SchedulerRepository(db_engine, ManualClock(LATER))
    s1, k1 = await add_session(db_engine, tenant, scaling_group="limited")
    s2, k2 = await add_session(
        db_engine, tenant, scaling_group="limited", kernels=[KernelSpec(), KernelSpec()]
    )

    def limited(allocation: SessionAllocation) -> SessionAllocation:
        return SessionAllocation(allocation.session_id, "limited", allocation.kernels)

    outcome = await repo.allocate_sessions(
        batch(limited(place(s1, k1, ["a1"])), limited(place(s2, k2, ["a1", "a1"])))
    )

    assert outcome.allocated == (s1,)
    assert [r.reason for r in outcome.rejected] == [
        "agent a1 has no room for 2 more container(s): 1 of 2 in use"
    ]
    await assert_occupancy_consistent(db_engine)


@pytest.mark.parametrize(
    ("columns", "reason"),
    [
        ({"status": AgentStatus.LOST}, "agent a1 is LOST, not ALIVE"),
        ({"schedulable": False}, "agent a1 is not schedulable"),
        ({"scaling_group": "other"}, "agent a1 is not in scaling group default"),
    ],
    ids=["lost", "unschedulable", "other-group"],
)
async def test_agents_that_cannot_take_work_are_refused(
    db_engine: AsyncEngine,
    repo: SchedulerRepository,
    tenant: Tenant,
    columns: dict[str, Any],
    reason: str,
) -> None:
    await add_scaling_group(db_engine, "other")
    await add_agent(db_engine, "a1", **columns)
    s1, k1 = await pending(db_engine, tenant)

    outcome = await repo.allocate_sessions(batch(place(s1, k1, ["a1"])))

    assert [(r.session_id, r.reason) for r in outcome.rejected] == [(s1, reason)]
    assert (await session_row(db_engine, s1)).status is SessionStatus.PENDING


async def test_allocations_that_do_not_match_the_session_are_refused(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    await add_agent(db_engine, "a1")
    s1, k1 = await pending(db_engine, tenant, CPU1, CPU1)
    s2, k2 = await pending(db_engine, tenant)

    outcome = await repo.allocate_sessions(
        batch(place(s1, k1[:1], ["a1"]), place(s2, k2, ["ghost"]))
    )

    assert [r.reason for r in outcome.rejected] == [
        "the allocation does not place exactly the session's PENDING kernels",
        "agent ghost no longer exists",
    ]


async def test_statement_count_does_not_grow_with_the_batch(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    counts = []
    for size in (1, 15):
        agents = [f"n{size}-{index}" for index in range(size)]
        for agent_id in agents:
            await add_agent(db_engine, agent_id)
        sessions = [await pending(db_engine, tenant) for _ in range(size)]
        allocations = [
            place(session_id, kernels, [agent_id])
            for (session_id, kernels), agent_id in zip(sessions, agents, strict=True)
        ]
        with recorded_statements(db_engine) as statements:
            outcome = await repo.allocate_sessions(batch(*allocations))
        assert len(outcome.allocated) == size
        counts.append(len(statements))
    assert counts[0] == counts[1]


async def occupy_one_cpu(engine: AsyncEngine, tenant: Tenant, agent_id: str) -> None:
    """A running session already holding one cpu of `agent_id`."""
    await add_session(
        engine,
        tenant,
        status=SessionStatus.RUNNING,
        kernels=[KernelSpec(slots=CPU1, agent_id=agent_id)],
    )
    await settle_agents(engine)


async def race(
    engine_a: AsyncEngine, engine_b: AsyncEngine, tenant: Tenant, agent_id: str
) -> tuple[AllocationOutcome, AllocationOutcome, SessionId, SessionId]:
    """Two managers, each on its own connection, each placing a session on the last 2 cpu."""
    s1, k1 = await pending(engine_a, tenant, CPU2)
    s2, k2 = await pending(engine_a, tenant, CPU2)
    one = SchedulerRepository(engine_a)
    two = SchedulerRepository(engine_b)
    first, second = await asyncio.gather(
        one.allocate_sessions(batch(place(s1, k1, [agent_id], [CPU2]))),
        two.allocate_sessions(batch(place(s2, k2, [agent_id], [CPU2]))),
    )
    return first, second, s1, s2


async def test_concurrent_managers_never_overcommit_an_agent(
    db_engine: AsyncEngine, database_url: str, tenant: Tenant
) -> None:
    other_engine = create_engine(database_url)
    try:
        for round_ in range(5):
            agent_id = f"last-{round_}"
            await add_agent(db_engine, agent_id, available={"cpu": 3, "mem": 2**34})
            await occupy_one_cpu(db_engine, tenant, agent_id)
            first, second, s1, s2 = await race(db_engine, other_engine, tenant, agent_id)

            winners = [*first.allocated, *second.allocated]
            losers = [*first.rejected, *second.rejected]
            assert len(winners) == 1
            assert len(losers) == 1
            assert losers[0].reason == f"agent {agent_id} no longer has room: cpu need 2, free 0"
            loser_row = await session_row(db_engine, losers[0].session_id)
            assert loser_row.status is SessionStatus.PENDING
            agent = await agent_row(db_engine, agent_id)
            assert agent.occupied_slots["cpu"] == 3
            assert agent.occupied_slots.fits_in(agent.available_slots)
            assert {s1, s2} == {winners[0], losers[0].session_id}
        await assert_occupancy_consistent(db_engine)
    finally:
        await other_engine.dispose()


async def test_allocation_waits_for_a_concurrent_writer_and_sees_its_commit(
    db_engine: AsyncEngine, database_url: str, repo: SchedulerRepository, tenant: Tenant
) -> None:
    await add_agent(db_engine, "a1", available={"cpu": 2, "mem": 2**34})
    rival, [rival_kernel] = await pending(db_engine, tenant, CPU2)
    s1, k1 = await pending(db_engine, tenant, CPU2)

    async def take_agent_row(conn: AsyncConnection) -> None:
        # PostgreSQL: the agent's row lock; SQLite: the write lock.
        await lock_agents(conn, [AgentId("a1")])

    async def place_rival(conn: AsyncConnection) -> None:
        await conn.execute(
            t.kernels.update()
            .where(t.kernels.c.id == rival_kernel)
            .values(status=KernelStatus.SCHEDULED, agent_id="a1", occupied_slots=ResourceSlot(CPU2))
        )
        await conn.execute(
            t.sessions.update()
            .where(t.sessions.c.id == rival)
            .values(status=SessionStatus.SCHEDULED, occupying_slots=ResourceSlot(CPU2))
        )
        await refresh_agent_occupancy(conn, [AgentId("a1")])

    async with rival_transaction(database_url, take_agent_row, place_rival):
        outcome = await repo.allocate_sessions(batch(place(s1, k1, ["a1"], [CPU2])))

    assert [r.reason for r in outcome.rejected] == [
        "agent a1 no longer has room: cpu need 2, free 0"
    ]
    assert (await session_row(db_engine, s1)).status is SessionStatus.PENDING
    await assert_occupancy_consistent(db_engine)
