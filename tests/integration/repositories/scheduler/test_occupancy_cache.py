"""Keypair occupancy: computed from sessions, cached per access key until invalidated or expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.clock import ManualClock
from sokovan.common.ids import AccessKey, AgentId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import SessionStatus
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.types import KeypairOccupancy
from sokovan.repositories.scheduler.write_cache import OCCUPANCY_CACHE_TTL
from sokovan.repositories.scheduler.write_specs import (
    AllocationBatch,
    KernelAllocation,
    SessionAllocation,
)
from support.factories import (
    T0,
    KernelSpec,
    Tenant,
    add_agent,
    add_scaling_group,
    add_session,
    add_tenant,
)

CPU2 = {"cpu": 2, "mem": 2**30}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def repo(db_engine: AsyncEngine, clock: ManualClock) -> SchedulerRepository:
    return SchedulerRepository(db_engine, clock)


@pytest.fixture
async def tenant(db_engine: AsyncEngine) -> Tenant:
    await add_scaling_group(db_engine)
    await add_agent(db_engine, "a1")
    return await add_tenant(db_engine)


async def running(engine: AsyncEngine, tenant: Tenant) -> None:
    await add_session(
        engine,
        tenant,
        status=SessionStatus.RUNNING,
        kernels=[KernelSpec(slots=CPU2, agent_id="a1")],
    )


async def test_occupancy_counts_occupying_and_pending_sessions(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    await running(db_engine, tenant)
    await running(db_engine, tenant)
    await add_session(db_engine, tenant)
    await add_session(db_engine, tenant, status=SessionStatus.TERMINATED)
    nobody = AccessKey("AKNOBODY")

    found = await repo.get_keypair_occupancy([tenant.access_key, nobody])

    assert found == {
        tenant.access_key: KeypairOccupancy(
            tenant.access_key, ResourceSlot({"cpu": 4, "mem": 2**31}), 2, 1
        ),
        nobody: KeypairOccupancy(nobody),
    }


async def test_cached_value_is_served_until_invalidated(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    await running(db_engine, tenant)
    first = await repo.get_keypair_occupancy([tenant.access_key])

    await running(db_engine, tenant)
    assert await repo.get_keypair_occupancy([tenant.access_key]) == first

    await repo.invalidate_kernel_related_cache([tenant.access_key])
    fresh = (await repo.get_keypair_occupancy([tenant.access_key]))[tenant.access_key]
    assert fresh.concurrent_sessions == 2


async def test_cached_value_expires_after_the_ttl(
    db_engine: AsyncEngine, repo: SchedulerRepository, clock: ManualClock, tenant: Tenant
) -> None:
    await repo.get_keypair_occupancy([tenant.access_key])
    await running(db_engine, tenant)

    clock.advance(OCCUPANCY_CACHE_TTL - timedelta(seconds=1))
    stale = (await repo.get_keypair_occupancy([tenant.access_key]))[tenant.access_key]
    clock.advance(timedelta(seconds=1))
    fresh = (await repo.get_keypair_occupancy([tenant.access_key]))[tenant.access_key]

    assert (stale.concurrent_sessions, fresh.concurrent_sessions) == (0, 1)


async def test_the_repositorys_own_writes_invalidate_the_keys_they_touch(
    db_engine: AsyncEngine, repo: SchedulerRepository, tenant: Tenant
) -> None:
    session_id, [kernel_id] = await add_session(db_engine, tenant)
    before = (await repo.get_keypair_occupancy([tenant.access_key]))[tenant.access_key]

    await repo.allocate_sessions(
        AllocationBatch(
            (
                SessionAllocation(
                    session_id,
                    "default",
                    (KernelAllocation(kernel_id, AgentId("a1"), ResourceSlot(CPU2)),),
                ),
            )
        )
    )

    after = (await repo.get_keypair_occupancy([tenant.access_key]))[tenant.access_key]
    assert (before.pending_sessions, before.concurrent_sessions) == (1, 0)
    assert (after.pending_sessions, after.concurrent_sessions) == (0, 1)
    assert after.occupied_slots == ResourceSlot(CPU2)
