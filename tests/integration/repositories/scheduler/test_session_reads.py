"""Handler searches: scaling groups, sessions (with and without kernels) and kernels."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ClusterMode, KernelMatchType, SessionType
from sokovan.common.status import KernelStatus, SessionResult, SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.conditions import (
    KernelConditions,
    KernelQuerier,
    SessionConditions,
    SessionQuerier,
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

C = SessionConditions


@pytest.fixture
async def tenant(db_engine: AsyncEngine) -> Tenant:
    await add_scaling_group(db_engine)
    return await add_tenant(db_engine)


@pytest.fixture
def repo(db_engine: AsyncEngine) -> SchedulerRepository:
    return SchedulerRepository(db_engine)


async def test_schedulable_scaling_groups_are_the_active_ones_sorted(
    db_engine: AsyncEngine, repo: SchedulerRepository
) -> None:
    assert await repo.get_schedulable_scaling_groups() == []
    await add_scaling_group(db_engine, "gpu")
    await add_scaling_group(db_engine, "retired", is_active=False)
    await add_scaling_group(db_engine, "default")

    assert await repo.get_schedulable_scaling_groups() == ["default", "gpu"]


async def test_sessions_come_in_creation_order_then_by_id(
    db_engine: AsyncEngine, tenant: Tenant, repo: SchedulerRepository
) -> None:
    later, _ = await add_session(db_engine, tenant, created_at=T0 + timedelta(seconds=5))
    tied = [(await add_session(db_engine, tenant, created_at=T0))[0] for _ in range(3)]
    earliest, _ = await add_session(db_engine, tenant, created_at=T0 - timedelta(seconds=5))

    found = await repo.search_sessions_for_handler(SessionQuerier(()))

    assert [s.session_id for s in found] == [earliest, *sorted(tied), later]


async def test_session_info_carries_the_stored_columns(
    db_engine: AsyncEngine, tenant: Tenant, repo: SchedulerRepository
) -> None:
    starts_at = T0 + timedelta(hours=1)
    session_id, _ = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.RUNNING,
        kernels=[KernelSpec(slots={"cpu": "0.5"}), KernelSpec(slots={"cpu": 2, "mem": 1024})],
        priority=42,
        session_type=SessionType.BATCH,
        cluster_mode=ClusterMode.MULTI_NODE,
        designated_agent_ids=["a2", "a1"],
        starts_at=starts_at,
        status_info="started",
        result=SessionResult.SUCCESS,
    )

    (info,) = await repo.search_sessions_for_handler(SessionQuerier((C.by_ids([session_id]),)))

    assert (info.session_id, info.status, info.status_info) == (
        session_id,
        SessionStatus.RUNNING,
        "started",
    )
    assert (info.priority, info.session_type, info.cluster_mode, info.cluster_size) == (
        42,
        SessionType.BATCH,
        ClusterMode.MULTI_NODE,
        2,
    )
    assert (info.access_key, info.user_id, info.group_id, info.domain_name) == (
        tenant.access_key,
        tenant.user_id,
        tenant.group_id,
        tenant.domain_name,
    )
    assert info.requested_slots == ResourceSlot({"cpu": "2.5", "mem": 1024})
    assert info.occupying_slots == info.requested_slots
    assert info.designated_agent_ids == (AgentId("a2"), AgentId("a1"))
    assert (info.starts_at, info.created_at, info.result) == (starts_at, T0, SessionResult.SUCCESS)


async def test_sessions_with_kernels_match_all_conditions_and_carry_every_kernel(
    db_engine: AsyncEngine, tenant: Tenant, repo: SchedulerRepository
) -> None:
    await add_scaling_group(db_engine, "gpu")
    # Mixed kernels: ANY matches, and the result still carries the kernel that did not match.
    mixed, mixed_kernels = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.PULLING,
        kernels=[KernelSpec(status=KernelStatus.PREPARED), KernelSpec()],
        kernel_status=KernelStatus.PULLING,
    )
    await add_session(
        db_engine, tenant, status=SessionStatus.PULLING, kernel_status=KernelStatus.PREPARED
    )
    await add_session(db_engine, tenant, status=SessionStatus.PULLING, scaling_group="gpu")
    await add_session(db_engine, tenant, status=SessionStatus.PENDING)

    found = await repo.search_sessions_with_kernels_for_handler(
        SessionQuerier(
            (
                C.by_scaling_group("default"),
                C.by_statuses([SessionStatus.PULLING]),
                C.by_kernel_match([KernelStatus.PULLING], KernelMatchType.ANY),
            )
        )
    )

    (only,) = found
    assert only.session_id == mixed
    assert [k.kernel_id for k in only.kernel_infos] == mixed_kernels
    assert [k.status for k in only.kernel_infos] == [KernelStatus.PREPARED, KernelStatus.PULLING]
    assert (only.phase_attempts, only.phase_started_at) == (0, None)


async def test_kernels_are_ordered_by_cluster_idx_and_sessions_without_kernels_have_none(
    db_engine: AsyncEngine, tenant: Tenant, repo: SchedulerRepository
) -> None:
    session_id, (k1, k2, k3) = await add_session(
        db_engine, tenant, kernels=[KernelSpec(), KernelSpec(), KernelSpec()]
    )
    # Reverse the cluster indexes so insertion order and index order disagree.
    async with db_engine.begin() as conn:
        for kernel_id, idx in ((k1, 3), (k3, 1)):
            await conn.execute(
                t.kernels.update().where(t.kernels.c.id == kernel_id).values(cluster_idx=idx)
            )
    empty, _ = await add_session(db_engine, tenant, kernels=(), created_at=T0 + timedelta(1))

    first, second = await repo.search_sessions_with_kernels_for_handler(SessionQuerier(()))

    assert first.session_id == session_id
    assert [k.kernel_id for k in first.kernel_infos] == [k3, k2, k1]
    assert [k.cluster_idx for k in first.kernel_infos] == [1, 2, 3]
    assert (second.session_id, second.kernel_infos) == (empty, ())


async def test_limit_counts_sessions_not_kernels(
    db_engine: AsyncEngine, tenant: Tenant, repo: SchedulerRepository
) -> None:
    first, kernels = await add_session(db_engine, tenant, kernels=[KernelSpec()] * 3)
    second, _ = await add_session(db_engine, tenant, created_at=T0 + timedelta(seconds=1))
    await add_session(db_engine, tenant, created_at=T0 + timedelta(seconds=2))

    found = await repo.search_sessions_with_kernels_for_handler(SessionQuerier((), limit=2))
    plain = await repo.search_sessions_for_handler(SessionQuerier((), limit=1))

    assert [s.session_id for s in found] == [first, second]
    assert [k.kernel_id for k in found[0].kernel_infos] == kernels
    assert [s.session_id for s in plain] == [first]


async def test_limit_applies_after_kernel_matching(
    db_engine: AsyncEngine, tenant: Tenant, repo: SchedulerRepository
) -> None:
    await add_session(db_engine, tenant, kernel_status=KernelStatus.RUNNING)
    target, _ = await add_session(db_engine, tenant, created_at=T0 + timedelta(seconds=1))

    found = await repo.search_sessions_with_kernels_for_handler(
        SessionQuerier(
            (C.by_kernel_match([KernelStatus.PENDING], KernelMatchType.ALL),),
            limit=1,
        )
    )

    assert [s.session_id for s in found] == [target]


async def test_unknown_ids_and_no_matches_give_empty_results(
    db_engine: AsyncEngine, tenant: Tenant, repo: SchedulerRepository
) -> None:
    known, _ = await add_session(db_engine, tenant)
    querier = SessionQuerier((C.by_ids([SessionId(uuid.uuid4())]),))

    assert await repo.search_sessions_for_handler(querier) == []
    assert await repo.search_sessions_with_kernels_for_handler(querier) == []
    assert (
        await repo.search_sessions_with_kernels_for_handler(
            SessionQuerier((C.by_ids([known]), C.by_statuses([SessionStatus.RUNNING])))
        )
        == []
    )


async def test_kernel_search_filters_orders_and_limits(
    db_engine: AsyncEngine, tenant: Tenant, repo: SchedulerRepository
) -> None:
    await add_agent(db_engine, "a1")
    await add_agent(db_engine, "a2")
    late, (l1,) = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.RUNNING,
        kernels=[KernelSpec(agent_id="a1", container_id="c-late")],
        created_at=T0 + timedelta(seconds=1),
    )
    early, (e1, e2) = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.RUNNING,
        kernels=[KernelSpec(agent_id="a2"), KernelSpec(agent_id="a1")],
    )
    await add_session(db_engine, tenant, status=SessionStatus.TERMINATED)

    querier = KernelQuerier(
        (
            KernelConditions.by_scaling_group("default"),
            KernelConditions.by_statuses([KernelStatus.RUNNING]),
        )
    )
    result = await repo.search_kernels_for_handler(querier)
    limited = await repo.search_kernels_for_handler(KernelQuerier(querier.conditions, limit=2))
    on_a1 = await repo.search_kernels_for_handler(
        KernelQuerier((KernelConditions.by_agent_ids([AgentId("a1")]),))
    )

    assert [k.kernel_id for k in result.items] == [e1, e2, l1]
    assert [k.kernel_id for k in limited.items] == [e1, e2]
    assert [k.kernel_id for k in on_a1.items] == [e2, l1]
    late_kernel = result.items[2]
    assert (late_kernel.session_id, late_kernel.agent_id, late_kernel.container_id) == (
        late,
        AgentId("a1"),
        "c-late",
    )
    assert late_kernel.agent_addr == "http://127.0.0.1:6001/a1"
    assert late_kernel.occupied_slots == late_kernel.requested_slots
    assert result.items[0].session_id == early


async def test_kernel_search_with_unknown_ids_is_empty(
    db_engine: AsyncEngine, tenant: Tenant, repo: SchedulerRepository
) -> None:
    await add_session(db_engine, tenant)

    result = await repo.search_kernels_for_handler(
        KernelQuerier((KernelConditions.by_ids([KernelId(uuid.uuid4())]),))
    )

    assert result.items == []
