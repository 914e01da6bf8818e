"""Condition values become WHERE clauses that select the right rows on both backends."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.scheduling import KernelMatchType
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.scheduler.condition_sql import kernel_where, session_where
from sokovan.repositories.scheduler.conditions import (
    KernelCondition,
    KernelConditions,
    SessionCondition,
    SessionConditions,
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

K = KernelStatus
EARLY = frozenset({K.PENDING, K.PULLING})


async def _matching_sessions(engine: AsyncEngine, *conditions: SessionCondition) -> set[SessionId]:
    async with engine.connect() as conn:
        ids = await conn.scalars(sa.select(t.sessions.c.id).where(*session_where(conditions)))
        return {SessionId(session_id) for session_id in ids}


async def _matching_kernels(engine: AsyncEngine, *conditions: KernelCondition) -> set[KernelId]:
    async with engine.connect() as conn:
        ids = await conn.scalars(sa.select(t.kernels.c.id).where(*kernel_where(conditions)))
        return {KernelId(kernel_id) for kernel_id in ids}


async def _with_kernels(engine: AsyncEngine, tenant: Tenant, *statuses: KernelStatus) -> SessionId:
    session_id, _ = await add_session(
        engine,
        tenant,
        status=SessionStatus.PREPARING,
        kernels=[KernelSpec(status=status) for status in statuses],
    )
    return session_id


@pytest.fixture
async def tenant(db_engine: AsyncEngine) -> Tenant:
    await add_scaling_group(db_engine)
    return await add_tenant(db_engine)


@pytest.mark.parametrize(
    ("match_type", "expected"),
    [
        (KernelMatchType.ALL, {"all_in"}),
        (KernelMatchType.ANY, {"all_in", "mixed"}),
        (KernelMatchType.NOT_ANY, {"none_in", "no_kernels"}),
    ],
)
async def test_kernel_match_on_mixed_kernels_and_a_session_without_kernels(
    db_engine: AsyncEngine, tenant: Tenant, match_type: KernelMatchType, expected: set[str]
) -> None:
    sessions = {
        "all_in": await _with_kernels(db_engine, tenant, K.PENDING, K.PULLING),
        "mixed": await _with_kernels(db_engine, tenant, K.PULLING, K.PREPARED, K.PREPARED),
        "none_in": await _with_kernels(db_engine, tenant, K.PREPARED, K.RUNNING),
        "no_kernels": await _with_kernels(db_engine, tenant),
    }

    found = await _matching_sessions(
        db_engine, SessionConditions.by_kernel_match(EARLY, match_type)
    )

    assert found == {sessions[name] for name in expected}


async def test_session_conditions_combine_with_and(db_engine: AsyncEngine, tenant: Tenant) -> None:
    await add_scaling_group(db_engine, "gpu")
    target = await _with_kernels(db_engine, tenant, K.PREPARED)
    await _with_kernels(db_engine, tenant, K.PULLING)  # kernels do not match
    await add_session(db_engine, tenant, status=SessionStatus.RUNNING)  # status does not match
    await add_session(
        db_engine,
        tenant,
        scaling_group="gpu",
        status=SessionStatus.PREPARING,
        kernels=[KernelSpec(status=K.PREPARED)],
    )  # scaling group does not match

    found = await _matching_sessions(
        db_engine,
        SessionConditions.by_scaling_group("default"),
        SessionConditions.by_statuses([SessionStatus.PREPARING, SessionStatus.PULLING]),
        SessionConditions.by_kernel_match(EARLY, KernelMatchType.NOT_ANY),
    )

    assert found == {target}


async def test_session_ids_condition_ignores_unknown_ids_and_empty_set_matches_nothing(
    db_engine: AsyncEngine, tenant: Tenant
) -> None:
    first, _ = await add_session(db_engine, tenant)
    await add_session(db_engine, tenant)
    unknown = SessionId(uuid.uuid4())

    assert await _matching_sessions(db_engine, SessionConditions.by_ids([first, unknown])) == {
        first
    }
    assert await _matching_sessions(db_engine, SessionConditions.by_ids([])) == set()
    assert await _matching_sessions(db_engine, SessionConditions.by_statuses([])) == set()


async def test_no_conditions_match_every_session(db_engine: AsyncEngine, tenant: Tenant) -> None:
    first, _ = await add_session(db_engine, tenant)
    second, _ = await add_session(db_engine, tenant, kernels=())

    assert await _matching_sessions(db_engine) == {first, second}


async def test_kernel_conditions_each_select_their_kernels(
    db_engine: AsyncEngine, tenant: Tenant
) -> None:
    await add_scaling_group(db_engine, "gpu")
    await add_agent(db_engine, "a1")
    await add_agent(db_engine, "g1", scaling_group="gpu")
    first, (k_running, k_pulling) = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.PULLING,
        kernels=[
            KernelSpec(status=K.RUNNING, agent_id="a1"),
            KernelSpec(status=K.PULLING, agent_id="a1"),
        ],
    )
    _, (k_gpu,) = await add_session(
        db_engine,
        tenant,
        scaling_group="gpu",
        status=SessionStatus.RUNNING,
        kernels=[KernelSpec(agent_id="g1")],
    )
    _, (k_unplaced,) = await add_session(db_engine, tenant)

    assert await _matching_kernels(db_engine, KernelConditions.by_scaling_group("gpu")) == {k_gpu}
    assert await _matching_kernels(db_engine, KernelConditions.by_statuses([K.RUNNING])) == {
        k_running,
        k_gpu,
    }
    assert await _matching_kernels(db_engine, KernelConditions.by_ids([k_pulling])) == {k_pulling}
    assert await _matching_kernels(db_engine, KernelConditions.by_session_ids([first])) == {
        k_running,
        k_pulling,
    }
    # An unplaced kernel (agent NULL) matches no agent condition.
    assert await _matching_kernels(
        db_engine, KernelConditions.by_agent_ids([AgentId("a1"), AgentId("g1")])
    ) == {k_running, k_pulling, k_gpu}
    assert await _matching_kernels(
        db_engine,
        KernelConditions.by_scaling_group("default"),
        KernelConditions.by_statuses([K.PENDING, K.PULLING]),
    ) == {k_pulling, k_unplaced}
    assert await _matching_kernels(db_engine, KernelConditions.by_ids([])) == set()


async def test_status_changed_before_holds_per_status_and_strictly(
    db_engine: AsyncEngine, tenant: Tenant
) -> None:
    # PREPARING cuts off at 12:00, CREATING at 11:01; RUNNING has no cutoff. Strictly before:
    # a session that entered PREPARING at 12:00 sharp is not past it.
    noon, eleven = T0.replace(hour=12), T0.replace(hour=11)
    sessions = {
        name: (await add_session(db_engine, tenant, status=status, status_changed=changed))[0]
        for name, status, changed in [
            ("preparing_early", SessionStatus.PREPARING, noon.replace(hour=10)),
            ("preparing_at_cutoff", SessionStatus.PREPARING, noon),
            ("creating_between", SessionStatus.CREATING, eleven.replace(minute=30)),
            ("creating_early", SessionStatus.CREATING, eleven.replace(minute=0, second=0)),
            ("running_early", SessionStatus.RUNNING, noon.replace(hour=1)),
        ]
    }
    cutoffs = {SessionStatus.PREPARING: noon, SessionStatus.CREATING: eleven.replace(minute=1)}
    found = await _matching_sessions(db_engine, SessionConditions.by_status_changed_before(cutoffs))
    assert found == {sessions["preparing_early"], sessions["creating_early"]}
    assert (
        await _matching_sessions(db_engine, SessionConditions.by_status_changed_before({})) == set()
    )
