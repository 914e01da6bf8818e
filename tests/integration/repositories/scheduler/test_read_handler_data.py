"""Per-phase reads: data for pulling, starting, terminating and the pending-timeout sweep."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.clock import ManualClock
from sokovan.common.ids import AgentId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.conditions import SessionConditions, SessionQuerier
from sokovan.repositories.scheduler.types import ImageIdentifier, KernelBindingData
from support.factories import (
    T0,
    KernelSpec,
    Tenant,
    add_agent,
    add_image,
    add_scaling_group,
    add_session,
    add_tenant,
)

NOW = T0 + timedelta(minutes=10)
ARM = "aarch64"


@pytest.fixture
async def tenant(db_engine: AsyncEngine) -> Tenant:
    await add_scaling_group(db_engine)
    await add_agent(db_engine, "a1")
    await add_agent(db_engine, "a2", architecture=ARM)
    return await add_tenant(db_engine, username="alice", group="research")


@pytest.fixture
def repo(db_engine: AsyncEngine) -> SchedulerRepository:
    return SchedulerRepository(db_engine, ManualClock(NOW))


# --- get_sessions_for_pull_by_ids --------------------------------------------------------


async def test_pull_data_in_given_order_with_bindings_and_known_images_only(
    db_engine: AsyncEngine, tenant: Tenant, repo: SchedulerRepository
) -> None:
    await add_image(db_engine, "python:3.11", environment={"command": ["python3", "-u"]})
    await add_image(db_engine, "python:3.11", architecture=ARM)
    await add_image(db_engine, "unused:1")
    first, (k1,) = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.SCHEDULED,
        kernels=[KernelSpec(agent_id="a1", container_id="c1")],
    )
    second, (k2, k3) = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.SCHEDULED,
        kernels=[
            KernelSpec(agent_id="a2", architecture=ARM),
            KernelSpec(agent_id="a1", image="missing:0"),
        ],
    )
    unknown = SessionId(uuid.uuid4())

    result = await repo.get_sessions_for_pull_by_ids([second, unknown, first, second])

    assert [s.session_id for s in result.sessions] == [second, first]
    assert result.sessions[0].kernels == (
        KernelBindingData(
            k2, AgentId("a2"), "http://127.0.0.1:6001/a2", None, "python:3.11", ARM,
            KernelStatus.SCHEDULED,
        ),
        KernelBindingData(
            k3, AgentId("a1"), "http://127.0.0.1:6001/a1", None, "missing:0", "x86_64",
            KernelStatus.SCHEDULED,
        ),
    )  # fmt: skip
    assert result.sessions[1].kernels[0].kernel_id == k1
    assert result.sessions[1].kernels[0].container_id == "c1"
    assert result.sessions[1].access_key == tenant.access_key
    # The images the kernels use, per architecture; a missing image is simply absent.
    assert set(result.image_configs) == {
        ImageIdentifier("python:3.11", "x86_64"),
        ImageIdentifier("python:3.11", ARM),
    }
    x86 = result.image_configs[ImageIdentifier("python:3.11", "x86_64")]
    assert (x86.name, x86.architecture) == ("python:3.11", "x86_64")
    assert x86.environment == {"command": ["python3", "-u"]}
    assert x86.min_slots == ResourceSlot()


async def test_pull_data_for_no_or_unknown_ids_is_empty(
    tenant: Tenant, repo: SchedulerRepository
) -> None:
    for ids in ([], [SessionId(uuid.uuid4())]):
        result = await repo.get_sessions_for_pull_by_ids(ids)
        assert (result.sessions, dict(result.image_configs)) == ([], {})


async def test_pull_data_leaves_out_images_of_another_architecture(
    db_engine: AsyncEngine, tenant: Tenant, repo: SchedulerRepository
) -> None:
    await add_image(db_engine, "python:3.11", architecture=ARM)
    session_id, _ = await add_session(db_engine, tenant, status=SessionStatus.SCHEDULED)

    result = await repo.get_sessions_for_pull_by_ids([session_id])

    assert [s.session_id for s in result.sessions] == [session_id]
    assert dict(result.image_configs) == {}


# --- search_sessions_with_kernels_and_user -----------------------------------------------


async def test_start_data_carries_user_environ_network_and_images(
    db_engine: AsyncEngine, tenant: Tenant, repo: SchedulerRepository
) -> None:
    await add_image(db_engine)
    session_id, kernels = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.PREPARED,
        kernels=[KernelSpec(agent_id="a1"), KernelSpec(agent_id="a1")],
        environ={"MODEL": "llama", "THREADS": "4"},
        network_type="bridge",
        network_id="net-1",
    )
    await add_session(db_engine, tenant, status=SessionStatus.RUNNING)

    result = await repo.search_sessions_with_kernels_and_user(
        SessionQuerier(
            (
                SessionConditions.by_scaling_group("default"),
                SessionConditions.by_statuses([SessionStatus.PREPARED]),
            )
        )
    )

    (data,) = result.sessions
    assert data.session.session_id == session_id
    assert data.session.status is SessionStatus.PREPARED
    assert [k.kernel_id for k in data.kernels] == kernels
    assert (data.user.user_id, data.user.email, data.user.username) == (
        tenant.user_id,
        "alice@example.com",
        "alice",
    )
    assert (data.user.domain_name, data.user.group_id, data.user.group_name) == (
        "default",
        tenant.group_id,
        "research",
    )
    assert data.environ == {"MODEL": "llama", "THREADS": "4"}
    assert (data.network_type, data.network_id) == ("bridge", "net-1")
    assert set(result.image_configs) == {ImageIdentifier("python:3.11", "x86_64")}


async def test_start_data_orders_limits_and_tells_owners_apart(
    db_engine: AsyncEngine, tenant: Tenant, repo: SchedulerRepository
) -> None:
    bob = await add_tenant(db_engine, create_domain=False, username="bob", group="ops")
    by_bob, _ = await add_session(db_engine, bob, status=SessionStatus.PREPARED)
    by_alice, _ = await add_session(
        db_engine, tenant, status=SessionStatus.PREPARED, created_at=T0 + timedelta(seconds=1)
    )
    await add_session(
        db_engine, tenant, status=SessionStatus.PREPARED, created_at=T0 + timedelta(seconds=2)
    )

    result = await repo.search_sessions_with_kernels_and_user(SessionQuerier((), limit=2))

    assert [d.session.session_id for d in result.sessions] == [by_bob, by_alice]
    assert [(d.user.username, d.user.group_name) for d in result.sessions] == [
        ("bob", "ops"),
        ("alice", "research"),
    ]
    # No image row: the launcher reports it; the read still returns the sessions.
    assert dict(result.image_configs) == {}
    assert result.sessions[0].environ == {}


async def test_start_data_for_no_match_is_empty(tenant: Tenant, repo: SchedulerRepository) -> None:
    result = await repo.search_sessions_with_kernels_and_user(
        SessionQuerier((SessionConditions.by_ids([]),))
    )

    assert (result.sessions, dict(result.image_configs)) == ([], {})


# --- get_terminating_sessions_by_ids -----------------------------------------------------


async def test_terminating_data_only_for_terminating_sessions_in_given_order(
    db_engine: AsyncEngine, tenant: Tenant, repo: SchedulerRepository
) -> None:
    first, (k1,) = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.TERMINATING,
        kernels=[KernelSpec(agent_id="a1", container_id="c1")],
        status_info="user-requested",
    )
    second, (k2, k3) = await add_session(
        db_engine,
        tenant,
        status=SessionStatus.TERMINATING,
        kernels=[
            KernelSpec(agent_id="a1", status=KernelStatus.TERMINATED),
            KernelSpec(status=KernelStatus.TERMINATING),
        ],
    )
    running, _ = await add_session(db_engine, tenant, status=SessionStatus.RUNNING)
    done, _ = await add_session(db_engine, tenant, status=SessionStatus.TERMINATED)

    found = await repo.get_terminating_sessions_by_ids(
        [second, running, SessionId(uuid.uuid4()), done, first]
    )

    assert [s.session_id for s in found] == [second, first]
    assert [(k.kernel_id, k.status, k.agent_id) for k in found[0].kernels] == [
        (k2, KernelStatus.TERMINATED, AgentId("a1")),
        (k3, KernelStatus.TERMINATING, None),
    ]
    assert (found[1].status, found[1].status_info) == (
        SessionStatus.TERMINATING,
        "user-requested",
    )
    assert [(k.kernel_id, k.container_id) for k in found[1].kernels] == [(k1, "c1")]
    assert found[1].access_key == tenant.access_key


async def test_terminating_data_for_no_ids_is_empty(repo: SchedulerRepository) -> None:
    assert await repo.get_terminating_sessions_by_ids([]) == []


# --- get_pending_timeout_sessions_by_ids -------------------------------------------------


async def test_pending_timeout_strictly_after_the_group_timeout(
    db_engine: AsyncEngine, tenant: Tenant, repo: SchedulerRepository
) -> None:
    await add_scaling_group(db_engine, "patient")  # no pending_timeout: waits forever
    await add_scaling_group(db_engine, "strict", pending_timeout=60.0)
    timeout = timedelta(seconds=60)

    async def aged(
        group: str, age: timedelta, status: SessionStatus = SessionStatus.PENDING
    ) -> SessionId:
        session_id, _ = await add_session(
            db_engine, tenant, scaling_group=group, created_at=NOW - age, status=status
        )
        return session_id

    expired = await aged("strict", timeout + timedelta(milliseconds=1))
    long_expired = await aged("strict", timedelta(hours=5))
    exactly_at_limit = await aged("strict", timeout)
    fresh = await aged("strict", timedelta(seconds=10))
    no_timeout = await aged("patient", timedelta(days=3))
    not_pending = await aged("strict", timedelta(hours=1), SessionStatus.RUNNING)

    found = await repo.get_pending_timeout_sessions_by_ids(
        [fresh, long_expired, no_timeout, exactly_at_limit, not_pending, expired]
    )

    assert [s.session_id for s in found] == [long_expired, expired]
    data = found[1]
    assert (data.scaling_group, data.pending_timeout, data.created_at) == (
        "strict",
        60.0,
        NOW - timeout - timedelta(milliseconds=1),
    )
    assert data.access_key == tenant.access_key


async def test_pending_timeout_follows_the_repository_clock(
    db_engine: AsyncEngine, tenant: Tenant
) -> None:
    await add_scaling_group(db_engine, "strict", pending_timeout=0.5)
    clock = ManualClock(T0)
    repo = SchedulerRepository(db_engine, clock)
    session_id, _ = await add_session(db_engine, tenant, scaling_group="strict", created_at=T0)

    assert await repo.get_pending_timeout_sessions_by_ids([session_id]) == []
    clock.advance(timedelta(seconds=1))
    assert [s.session_id for s in await repo.get_pending_timeout_sessions_by_ids([session_id])] == [
        session_id
    ]
    assert await repo.get_pending_timeout_sessions_by_ids([]) == []
