"""enqueue_session on both backends: what a submission writes, and what a refusal does not."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from integration.repositories.scheduler.test_update_with_history import kernel_rows, session_row
from integration.scheduling_controller.controller_setup import NOW, Harness, harness, spec_for
from sokovan.common.errors import SokovanError, UnknownSlotTypeError
from sokovan.common.ids import AgentId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ClusterMode, ScheduleType, SessionType
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.scheduler.provisioner.errors import PendingSessionCountLimitExceeded
from sokovan.scheduling_controller import (
    KernelCreationSpec,
    ScalingGroupInactiveError,
    SessionCreationSpec,
    SessionOwnershipError,
    SessionReferenceError,
)
from support.factories import (
    Tenant,
    add_agent,
    add_image,
    add_resource_policy,
    add_scaling_group,
    add_session,
    add_tenant,
)

GIB = 2**30


@pytest.fixture
async def world(db_engine: AsyncEngine) -> tuple[Harness, Tenant]:
    """A tenant, the "default" scaling group with agents a1/a2, and python:3.11 on x86_64."""
    tenant = await add_tenant(db_engine)
    await add_scaling_group(db_engine, "default")
    await add_agent(db_engine, "a1")
    await add_agent(db_engine, "a2")
    await add_image(db_engine, "python:3.11")
    return harness(db_engine), tenant


async def test_enqueue_writes_a_pending_session_with_its_kernels_and_hints_schedule(
    world: tuple[Harness, Tenant],
) -> None:
    h, tenant = world
    dependency, _ = await add_session(h.engine, tenant, status=SessionStatus.TERMINATED)
    spec = spec_for(
        tenant,
        KernelCreationSpec(image="python:3.11", resources={"cpu": "2", "mem": "4g"}),
        KernelCreationSpec(
            image="python:3.11",
            resources=ResourceSlot({"cpu": Decimal("0.5")}),
            startup_command="python -m worker",
        ),
        session_type=SessionType.BATCH,
        priority=42,
        cluster_mode=ClusterMode.MULTI_NODE,
        starts_at=NOW,
        designated_agent_ids=(AgentId("a1"), AgentId("a2")),
        depends_on=(dependency,),
        environ={"MODE": "train"},
        creation_id="client-token",
    )
    session_id = await h.controller.enqueue_session(spec)

    session = await session_row(h.engine, session_id)
    assert (session.status, session.priority, session.cluster_size) == (
        SessionStatus.PENDING,
        42,
        2,
    )
    assert session.requested_slots == ResourceSlot({"cpu": Decimal("2.5"), "mem": 4 * GIB})
    assert session.occupying_slots.is_zero()
    assert (session.created_at, session.status_changed, session.starts_at) == (NOW, NOW, NOW)
    assert session.designated_agent_ids == ["a1", "a2"]
    assert (session.environ, session.creation_id) == ({"MODE": "train"}, "client-token")
    kernels = await kernel_rows(h.engine, session_id)
    assert [(k.cluster_role, k.cluster_idx, k.local_rank, k.cluster_hostname) for k in kernels] == [
        ("main", 1, 0, "main1"),
        ("sub", 2, 1, "sub2"),
    ]
    assert {k.status for k in kernels} == {KernelStatus.PENDING}
    assert [k.requested_slots for k in kernels] == [
        ResourceSlot({"cpu": 2, "mem": 4 * GIB}),
        ResourceSlot({"cpu": Decimal("0.5")}),
    ]
    assert {(k.access_key, k.scaling_group, k.agent_id) for k in kernels} == {
        (tenant.access_key, "default", None)
    }
    assert kernels[1].startup_command == "python -m worker"
    async with h.engine.connect() as conn:
        edges = (await conn.execute(sa.select(t.session_dependencies))).all()
    assert [(edge.session_id, edge.depends_on) for edge in edges] == [(session_id, dependency)]
    assert await h.marked() == {ScheduleType.SCHEDULE}


async def test_enqueued_session_is_in_the_placement_snapshot(
    world: tuple[Harness, Tenant],
) -> None:
    h, tenant = world
    session_id = await h.controller.enqueue_session(spec_for(tenant))
    data = await h.repository.get_scheduling_data("default")
    assert data is not None
    [pending] = data.pending_sessions
    assert pending.session_id == session_id
    assert [k.image for k in pending.kernels] == ["python:3.11"]


Arrange = Callable[[Harness, Tenant], Awaitable[SessionCreationSpec]]


async def unknown_scaling_group(h: Harness, tenant: Tenant) -> SessionCreationSpec:
    return spec_for(tenant, scaling_group="gpu")


async def inactive_scaling_group(h: Harness, tenant: Tenant) -> SessionCreationSpec:
    await add_scaling_group(h.engine, "retired", is_active=False)
    return spec_for(tenant, scaling_group="retired")


async def image_of_other_architecture(h: Harness, tenant: Tenant) -> SessionCreationSpec:
    kernel = KernelCreationSpec(image="python:3.11", resources={}, architecture="aarch64")
    return spec_for(tenant, kernel)


async def unknown_slot(h: Harness, tenant: Tenant) -> SessionCreationSpec:
    return spec_for(tenant, KernelCreationSpec(image="python:3.11", resources={"fpga": 1}))


async def missing_dependency(h: Harness, tenant: Tenant) -> SessionCreationSpec:
    return spec_for(tenant, depends_on=(SessionId(uuid.uuid4()),))


async def agent_of_another_group(h: Harness, tenant: Tenant) -> SessionCreationSpec:
    await add_scaling_group(h.engine, "gpu")
    await add_agent(h.engine, "g1", scaling_group="gpu")
    return spec_for(tenant, designated_agent_ids=(AgentId("g1"),))


async def keypair_of_another_user(h: Harness, tenant: Tenant) -> SessionCreationSpec:
    other = await add_tenant(h.engine, create_domain=False, group_id=tenant.group_id)
    return replace(spec_for(tenant), access_key=other.access_key)


async def user_outside_the_group(h: Harness, tenant: Tenant) -> SessionCreationSpec:
    outsider = await add_tenant(h.engine, create_domain=False, group="other")
    return replace(spec_for(outsider), group_id=tenant.group_id)


async def limit_pending_sessions(h: Harness, tenant: Tenant, limit: int) -> None:
    """Give the tenant's keypair a policy allowing `limit` pending sessions."""
    name = f"{limit}-pending"
    await add_resource_policy(h.engine, name, max_pending_session_count=limit)
    async with h.engine.begin() as conn:
        await conn.execute(
            t.keypairs.update()
            .where(t.keypairs.c.access_key == tenant.access_key)
            .values(resource_policy=name)
        )


async def full_pending_queue(h: Harness, tenant: Tenant) -> SessionCreationSpec:
    await limit_pending_sessions(h, tenant, 1)
    await add_session(h.engine, tenant, status=SessionStatus.PENDING)
    return spec_for(tenant)


@pytest.mark.parametrize(
    ("arrange", "error", "message"),
    [
        (unknown_scaling_group, SessionReferenceError, "scaling group 'gpu' does not exist"),
        (inactive_scaling_group, ScalingGroupInactiveError, "'retired' is inactive"),
        (image_of_other_architecture, SessionReferenceError, "registered only for x86_64"),
        (unknown_slot, UnknownSlotTypeError, "unknown resource slot 'fpga'"),
        (missing_dependency, SessionReferenceError, "dependencies not found"),
        (agent_of_another_group, SessionReferenceError, "not in scaling group 'default': g1"),
        (keypair_of_another_user, SessionOwnershipError, "belongs to another user"),
        (user_outside_the_group, SessionOwnershipError, "not a member of group"),
        (full_pending_queue, PendingSessionCountLimitExceeded, "1 of 1 pending sessions"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
async def test_refused_submission_writes_nothing_and_leaves_no_hint(
    world: tuple[Harness, Tenant], arrange: Arrange, error: type[SokovanError], message: str
) -> None:
    h, tenant = world
    spec = await arrange(h, tenant)
    before = await h.row_counts()
    with pytest.raises(error, match=message):
        await h.controller.enqueue_session(spec)
    assert await h.row_counts() == before
    assert await h.marked() == set()


async def test_running_sessions_do_not_count_against_the_pending_limit(
    world: tuple[Harness, Tenant],
) -> None:
    h, tenant = world
    spec = await full_pending_queue(h, tenant)
    async with h.engine.begin() as conn:
        await conn.execute(t.sessions.update().values(status=SessionStatus.RUNNING))
    session_id = await h.controller.enqueue_session(spec)
    assert (await session_row(h.engine, session_id)).status is SessionStatus.PENDING


async def test_concurrent_submissions_are_all_written_and_respect_the_pending_limit(
    world: tuple[Harness, Tenant],
) -> None:
    # They share transactions (group commit); the limit of 3 pending sessions still holds
    # across them: 3 are written, 2 refused, and every written one has its kernel.
    h, tenant = world
    await limit_pending_sessions(h, tenant, 3)
    specs = [replace(spec_for(tenant), name=f"burst-{index}") for index in range(5)]
    outcomes = await asyncio.gather(
        *(h.controller.enqueue_session(spec) for spec in specs), return_exceptions=True
    )
    written = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, PendingSessionCountLimitExceeded)]
    assert (len(written), len(refused)) == (3, 2)
    async with h.engine.connect() as conn:
        kernels = await conn.scalar(
            sa.select(sa.func.count()).where(t.kernels.c.session_id.in_(written))
        )
    assert kernels == 3
