"""The provisioner end to end on the real repository: snapshot → plan → allocate_sessions."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.clock import ManualClock
from sokovan.common.ids import SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import AgentSelectionStrategy, SequencerStrategy
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.db.engine import create_engine
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.scheduler.provisioner.allocators.repository_allocator import RepositoryAllocator
from sokovan.scheduler.provisioner.provisioner import SessionProvisioner
from sokovan.scheduler.provisioner.types import ScheduleResult
from support.factories import T0, KernelSpec, add_agent, add_scaling_group, add_session, add_tenant

GiB = 2**30


class RecordingPendingQueue:
    def __init__(self) -> None:
        self.queues: dict[str, list[SessionId]] = {}

    async def set_pending_queue(self, scaling_group: str, session_ids: Sequence[SessionId]) -> None:
        self.queues[scaling_group] = list(session_ids)


async def _schedule(engine: AsyncEngine, queue: RecordingPendingQueue) -> ScheduleResult:
    repository = SchedulerRepository(engine, ManualClock(T0))
    provisioner = SessionProvisioner(RepositoryAllocator(repository), queue, clock=ManualClock(T0))
    return await provisioner.schedule_scaling_group(
        "default", await repository.get_scheduling_data("default")
    )


async def _session_statuses(engine: AsyncEngine) -> dict[SessionId, SessionStatus]:
    async with engine.connect() as conn:
        rows = await conn.execute(sa.select(t.sessions.c.id, t.sessions.c.status))
        return {SessionId(row.id): row.status for row in rows}


async def _agent_occupancy(engine: AsyncEngine) -> dict[str, tuple[ResourceSlot, ResourceSlot]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(t.agents.c.id, t.agents.c.occupied_slots, t.agents.c.available_slots)
        )
        return {row.id: (row.occupied_slots, row.available_slots) for row in rows}


async def test_ss_001_a_pending_session_is_placed_and_committed(db_engine: AsyncEngine) -> None:
    tenant = await add_tenant(db_engine)
    await add_scaling_group(db_engine)
    await add_agent(db_engine, "a1", available={"cpu": 8, "mem": 16 * GiB})
    session_id, (kernel_id,) = await add_session(
        db_engine, tenant, kernels=[KernelSpec(slots={"cpu": 2, "mem": 4 * GiB})]
    )
    queue = RecordingPendingQueue()

    result = await _schedule(db_engine, queue)

    assert [s.session_id for s in result.scheduled_sessions] == [session_id]
    assert result.scheduled_sessions[0].placements[0].kernel_id == kernel_id
    assert (await _session_statuses(db_engine))[session_id] is SessionStatus.SCHEDULED
    occupied, _ = (await _agent_occupancy(db_engine))["a1"]
    assert occupied == ResourceSlot({"cpu": 2, "mem": 4 * GiB})
    async with db_engine.connect() as conn:
        kernel = (await conn.execute(sa.select(t.kernels))).one()
    assert (kernel.agent_id, kernel.status) == ("a1", KernelStatus.SCHEDULED)
    assert queue.queues == {"default": []}


async def test_ss_002_many_sessions_fill_agents_without_overcommit(db_engine: AsyncEngine) -> None:
    tenant = await add_tenant(db_engine)
    await add_scaling_group(db_engine)
    for name in ("a1", "a2"):
        await add_agent(db_engine, name, available={"cpu": 4, "mem": 8 * GiB})
    # 2 agents × 4 cpu = 8 cpu; ten 1-cpu sessions → 8 placed, 2 wait.
    for _ in range(10):
        await add_session(db_engine, tenant, kernels=[KernelSpec(slots={"cpu": 1, "mem": GiB})])

    result = await _schedule(db_engine, RecordingPendingQueue())

    assert len(result.scheduled_sessions) == 8
    assert len(result.unscheduled_sessions) == 2
    for occupied, available in (await _agent_occupancy(db_engine)).values():
        assert occupied.fits_in(available)
    statuses = list((await _session_statuses(db_engine)).values())
    assert statuses.count(SessionStatus.SCHEDULED) == 8
    assert statuses.count(SessionStatus.PENDING) == 2


async def test_ss_003_no_fitting_agent_leaves_the_session_pending_with_the_reason(
    db_engine: AsyncEngine,
) -> None:
    tenant = await add_tenant(db_engine)
    await add_scaling_group(db_engine)
    await add_agent(db_engine, "a1", available={"cpu": 8, "mem": 16 * GiB})
    session_id, _ = await add_session(
        db_engine, tenant, kernels=[KernelSpec(slots={"cpu": 16, "mem": GiB})]
    )
    queue = RecordingPendingQueue()

    result = await _schedule(db_engine, queue)

    assert result.scheduled_sessions == []
    (waiting,) = result.unscheduled_sessions
    assert waiting.session_id == session_id
    assert waiting.code == "insufficient-resources"
    assert "0/1 agents fit" in waiting.reason
    assert "cpu" in waiting.reason
    assert queue.queues["default"] == [session_id]
    assert (await _session_statuses(db_engine))[session_id] is SessionStatus.PENDING


async def test_drf_paper_example_on_the_real_repository(db_engine: AsyncEngine) -> None:
    """Ghodsi et al. (NSDI 2011): ⟨9 cpu, 18 GiB⟩; A asks ⟨1, 4 GiB⟩, B ⟨3, 1 GiB⟩ → A 3, B 2."""
    await add_scaling_group(db_engine, scheduler=SequencerStrategy.DRF)
    await add_agent(db_engine, "a1", available={"cpu": 9, "mem": 18 * GiB})
    alice = await add_tenant(db_engine, username="alice")
    bob = await add_tenant(db_engine, username="bob", create_domain=False, group_id=alice.group_id)
    for n in range(6):
        at = T0.replace(minute=n)
        await add_session(
            db_engine, alice, created_at=at, kernels=[KernelSpec(slots={"cpu": 1, "mem": 4 * GiB})]
        )
        await add_session(
            db_engine, bob, created_at=at, kernels=[KernelSpec(slots={"cpu": 3, "mem": GiB})]
        )

    result = await _schedule(db_engine, RecordingPendingQueue())

    owners = [s.access_key for s in result.scheduled_sessions]
    assert owners.count(alice.access_key) == 3
    assert owners.count(bob.access_key) == 2


async def test_roundrobin_position_is_persisted_with_the_allocation(db_engine: AsyncEngine) -> None:
    tenant = await add_tenant(db_engine)
    await add_scaling_group(db_engine, agent_selection_strategy=AgentSelectionStrategy.ROUNDROBIN)
    for name in ("a1", "a2", "a3"):
        await add_agent(db_engine, name)
    for _ in range(2):
        await add_session(db_engine, tenant)

    result = await _schedule(db_engine, RecordingPendingQueue())

    assert [s.placements[0].agent_id for s in result.scheduled_sessions] == ["a1", "a2"]
    async with db_engine.connect() as conn:
        index = await conn.scalar(sa.select(t.scaling_groups.c.roundrobin_next_index))
    assert index == 2


async def test_two_managers_scheduling_at_once_never_overcommit(db_engine: AsyncEngine) -> None:
    """Two provisioners, each with its own engine (connection pool), race for one agent."""
    second = create_engine(db_engine.url.render_as_string(hide_password=False))
    engines = [db_engine, second]
    try:
        tenant = await add_tenant(engines[0])
        await add_scaling_group(engines[0])
        await add_agent(engines[0], "a1", available={"cpu": 4, "mem": 8 * GiB})
        for _ in range(8):
            await add_session(engines[0], tenant, kernels=[KernelSpec(slots={"cpu": 1})])

        results = await asyncio.gather(
            *(_schedule(engine, RecordingPendingQueue()) for engine in engines)
        )

        scheduled = [s.session_id for r in results for s in r.scheduled_sessions]
        assert len(scheduled) == len(set(scheduled)) == 4
        occupied, available = (await _agent_occupancy(engines[0]))["a1"]
        assert occupied == ResourceSlot({"cpu": 4})
        assert occupied.fits_in(available)
    finally:
        await second.dispose()
