"""ApiRepository reads on both backends: session pages and detail, submission facts,
credentials, cluster stats."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.clock import ManualClock
from sokovan.common.ids import AccessKey, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import SchedulingResult, UserRole
from sokovan.common.status import AgentStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.api import ApiRepository
from sokovan.repositories.api.types import PolicyLimit, SessionCursor, SessionListQuery
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.write_specs import (
    SchedulingHistoryCreator,
    SessionHistorySpec,
)
from support.factories import (
    T0,
    KernelSpec,
    add_agent,
    add_resource_policy,
    add_scaling_group,
    add_session,
    add_tenant,
    insert,
)


@pytest.fixture
def repo(db_engine: AsyncEngine) -> ApiRepository:
    return ApiRepository(db_engine, ManualClock(T0))


async def test_list_sessions_pages_newest_first_with_ties_broken_by_id(
    db_engine: AsyncEngine, repo: ApiRepository
) -> None:
    tenant = await add_tenant(db_engine)
    await add_scaling_group(db_engine)
    moments = [T0, T0 + timedelta(seconds=5), T0 + timedelta(seconds=5), T0 + timedelta(1)]
    for moment in moments:
        await add_session(db_engine, tenant, created_at=moment)

    everything = (await repo.list_sessions(SessionListQuery(limit=10))).items
    first = await repo.list_sessions(SessionListQuery(limit=2))
    assert first.next_cursor is not None
    second = await repo.list_sessions(SessionListQuery(limit=2, after=first.next_cursor))
    skipped = await repo.list_sessions(SessionListQuery(limit=10, offset=3))

    keys = [(s.created_at, s.session_id) for s in everything]
    assert keys == sorted(keys, reverse=True)
    assert [*first.items, *second.items] == list(everything)
    assert second.next_cursor is None
    assert skipped.items == everything[3:]


async def test_list_sessions_filters_combine(db_engine: AsyncEngine, repo: ApiRepository) -> None:
    alice = await add_tenant(db_engine)
    bob = await add_tenant(db_engine, create_domain=False, group_id=alice.group_id)
    await add_scaling_group(db_engine)
    await add_scaling_group(db_engine, "gpu")
    mine, _ = await add_session(db_engine, alice, status=SessionStatus.RUNNING, name="job")
    await add_session(db_engine, alice, status=SessionStatus.RUNNING, scaling_group="gpu")
    await add_session(db_engine, bob, status=SessionStatus.RUNNING, name="job")
    await add_session(db_engine, alice, status=SessionStatus.PENDING, name="job")

    query = SessionListQuery(
        limit=10,
        statuses=frozenset({SessionStatus.RUNNING}),
        scaling_group="default",
        name="job",
        user_id=alice.user_id,
    )
    found = await repo.list_sessions(query)

    assert [s.session_id for s in found.items] == [mine]
    cursor = SessionCursor(T0 - timedelta(1), SessionId(mine))
    assert (await repo.list_sessions(SessionListQuery(limit=10, after=cursor))).items == ()


async def test_session_detail_has_kernels_and_history_oldest_first(
    db_engine: AsyncEngine, repo: ApiRepository
) -> None:
    tenant = await add_tenant(db_engine)
    await add_scaling_group(db_engine)
    await add_agent(db_engine, "a1")
    session_id, kernel_ids = await add_session(
        db_engine,
        tenant,
        kernels=(KernelSpec(), KernelSpec(agent_id="a1")),
    )
    clock = ManualClock(T0)
    history = SchedulerRepository(db_engine, clock)
    for phase in ("schedule-sessions", "check-precondition"):
        await history.create_scheduling_history(
            SchedulingHistoryCreator(
                (
                    SessionHistorySpec(
                        session_id, phase, SchedulingResult.SKIPPED, None, None, "wait"
                    ),
                )
            )
        )
        clock.advance(timedelta(seconds=1))

    detail = await repo.get_session_detail(session_id)

    assert detail is not None
    assert [k.kernel_id for k in detail.kernels] == kernel_ids
    assert [h.phase for h in detail.history] == ["schedule-sessions", "check-precondition"]
    assert await repo.get_session_detail(SessionId(kernel_ids[0])) is None
    assert await repo.get_session_owners([session_id, SessionId(kernel_ids[0])]) == {
        session_id: tenant.user_id
    }


async def test_submission_facts_name_alive_agents_groups_and_policies(
    db_engine: AsyncEngine, repo: ApiRepository
) -> None:
    for name, cpu in (("kp", 1), ("usr", 2), ("grp", 3), ("dom", 4)):
        await add_resource_policy(db_engine, name, total={"cpu": cpu})
    tenant = await add_tenant(
        db_engine,
        keypair_policy="kp",
        user_policy="usr",
        group_policy="grp",
        domain_policy="dom",
    )
    other = await add_tenant(db_engine, domain="elsewhere")
    await insert(
        db_engine, t.group_members, [{"group_id": other.group_id, "user_id": tenant.user_id}]
    )
    await add_scaling_group(db_engine, max_container_count=3)
    await add_agent(db_engine, "alive", available={"cpu": 8})
    await add_agent(db_engine, "lost", status=AgentStatus.LOST)

    facts = await repo.get_submission_facts("default", tenant.access_key)
    nothing = await repo.get_submission_facts("nowhere", AccessKey("UNKNOWN"))

    assert (facts.scaling_group_usable, facts.max_container_count) == (True, 3)
    assert [a.agent_id for a in facts.alive_agents] == ["alive"]
    assert facts.alive_agents[0].available_slots == ResourceSlot({"cpu": 8})
    # Only groups of the user's own domain count.
    assert [(g.group_id, g.policy) for g in facts.groups] == [
        (tenant.group_id, PolicyLimit("grp", ResourceSlot({"cpu": 3})))
    ]
    assert facts.keypair_policy == PolicyLimit("kp", ResourceSlot({"cpu": 1}))
    assert facts.user_policy == PolicyLimit("usr", ResourceSlot({"cpu": 2}))
    assert facts.domain_policy == PolicyLimit("dom", ResourceSlot({"cpu": 4}))
    assert (nothing.scaling_group_usable, nothing.alive_agents, nothing.groups) == (False, (), ())
    assert nothing.keypair_policy is None


@pytest.mark.parametrize("inactive", [None, "keypairs", "users", "domains"])
async def test_credential_is_active_only_when_keypair_user_and_domain_are(
    db_engine: AsyncEngine, repo: ApiRepository, inactive: str | None
) -> None:
    tenant = await add_tenant(db_engine)
    async with db_engine.begin() as conn:
        await conn.execute(
            t.users.update().where(t.users.c.id == tenant.user_id).values(role=UserRole.ADMIN)
        )
        if inactive is not None:
            await conn.execute(t.metadata.tables[inactive].update().values(is_active=False))

    record = await repo.get_credential(tenant.access_key)

    assert record is not None
    assert (record.user_id, record.domain_name) == (tenant.user_id, "default")
    assert (record.keypair_role, record.user_role) == (UserRole.USER, UserRole.ADMIN)
    assert record.secret_key_hash == "unused-in-tests"
    assert record.active is (inactive is None)
    assert await repo.get_credential(AccessKey("NOSUCHKEY")) is None


async def test_cluster_stats_count_every_status_and_alive_agents(
    db_engine: AsyncEngine, repo: ApiRepository
) -> None:
    tenant = await add_tenant(db_engine)
    await add_scaling_group(db_engine)
    await add_agent(db_engine, "b", available={"cpu": 4}, occupied={"cpu": 1})
    await add_agent(db_engine, "a", available={"cpu": 2})
    await add_agent(db_engine, "gone", status=AgentStatus.TERMINATED)
    for status in (SessionStatus.PENDING, SessionStatus.PENDING, SessionStatus.ERROR):
        await add_session(db_engine, tenant, status=status)

    stats = await repo.get_cluster_stats()

    assert stats.sessions_by_status[SessionStatus.PENDING] == 2
    assert stats.sessions_by_status[SessionStatus.ERROR] == 1
    assert stats.sessions_by_status[SessionStatus.RUNNING] == 0
    assert set(stats.sessions_by_status) == set(SessionStatus)
    assert [(a.agent_id, a.occupied_slots) for a in stats.agents] == [
        ("a", ResourceSlot()),
        ("b", ResourceSlot({"cpu": 1})),
    ]
    await repo.ping()
