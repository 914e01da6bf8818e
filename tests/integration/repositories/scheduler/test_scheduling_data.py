"""get_scheduling_data: the placement snapshot of one scaling group, on real rows."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.ids import AgentId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import AgentSelectionStrategy, ClusterMode, SequencerStrategy
from sokovan.common.status import AgentStatus, RouteStatus, SessionResult, SessionStatus
from sokovan.db import tables as t
from sokovan.repositories.scheduler import SchedulerRepository
from sokovan.repositories.scheduler.snapshot_types import (
    DependencyState,
    PendingKernel,
    PendingStats,
    ResourcePolicySnapshot,
    ScalingGroupConfig,
)
from support.factories import (
    T0,
    KernelSpec,
    Tenant,
    add_agent,
    add_resource_policy,
    add_scaling_group,
    add_session,
    add_tenant,
    insert,
)

S = SessionStatus


def cpu(amount: str | int) -> ResourceSlot:
    return ResourceSlot({"cpu": amount})


def kernels_of(*amounts: str | int) -> list[KernelSpec]:
    return [KernelSpec(slots={"cpu": amount}) for amount in amounts]


@pytest.fixture
def repo(db_engine: AsyncEngine) -> SchedulerRepository:
    return SchedulerRepository(db_engine)


async def test_no_snapshot_for_unknown_inactive_or_idle_groups(
    db_engine: AsyncEngine, repo: SchedulerRepository
) -> None:
    await add_scaling_group(db_engine, "idle")
    await add_scaling_group(db_engine, "retired", is_active=False)
    tenant = await add_tenant(db_engine)
    await add_agent(db_engine, "a1", scaling_group="idle")
    await add_session(db_engine, tenant, scaling_group="retired")
    for status in (S.RUNNING, S.DEPRIORITIZING, S.CANCELLED):
        await add_session(db_engine, tenant, scaling_group="idle", status=status)

    assert await repo.get_scheduling_data("nowhere") is None
    assert await repo.get_scheduling_data("retired") is None
    assert await repo.get_scheduling_data("idle") is None


async def test_snapshot_has_the_group_config_and_its_alive_schedulable_agents(
    db_engine: AsyncEngine, repo: SchedulerRepository
) -> None:
    await add_scaling_group(
        db_engine,
        "default",
        scheduler=SequencerStrategy.DRF,
        agent_selection_strategy=AgentSelectionStrategy.ROUNDROBIN,
        agent_selection_resource_priority=["cuda.device", "cpu"],
        max_container_count=5,
        enforce_spreading_endpoint_replica=True,
        pending_timeout=30.0,
        roundrobin_next_index=2,
    )
    await add_scaling_group(db_engine, "other")
    await add_agent(db_engine, "b", available={"cpu": "0.2", "mem": 100}, occupied={"cpu": "0.1"})
    await add_agent(db_engine, "a", available={"cpu": "0.1", "cuda.device": 1}, container_count=3)
    await add_agent(db_engine, "c-lost", status=AgentStatus.LOST)
    await add_agent(db_engine, "d-cordoned", schedulable=False)
    await add_agent(db_engine, "e-elsewhere", scaling_group="other")
    await add_session(db_engine, await add_tenant(db_engine))

    data = await repo.get_scheduling_data("default")

    assert data is not None
    assert data.scaling_group == ScalingGroupConfig(
        name="default",
        scheduler=SequencerStrategy.DRF,
        agent_selection_strategy=AgentSelectionStrategy.ROUNDROBIN,
        agent_selection_resource_priority=("cuda.device", "cpu"),
        max_container_count=5,
        enforce_spreading_endpoint_replica=True,
        pending_timeout=30.0,
        roundrobin_next_index=2,
    )
    assert [agent.agent_id for agent in data.agents] == [AgentId("a"), AgentId("b")]
    a, b = data.agents
    assert (a.architecture, a.container_count, a.addr) == ("x86_64", 3, "http://127.0.0.1:6001/a")
    assert (b.available_slots, b.occupied_slots) == (
        ResourceSlot({"cpu": "0.2", "mem": 100}),
        cpu("0.1"),
    )
    # Exact: 0.1 + 0.2 is 0.3, and slots only one agent has are summed as well.
    assert data.total_capacity == ResourceSlot({"cpu": "0.3", "mem": 100, "cuda.device": 1})


async def test_snapshot_without_agents_still_lists_the_pending_sessions(
    db_engine: AsyncEngine, repo: SchedulerRepository
) -> None:
    await add_scaling_group(db_engine)
    session_id, _ = await add_session(db_engine, await add_tenant(db_engine))

    data = await repo.get_scheduling_data("default")

    assert data is not None
    assert (data.agents, data.total_capacity) == ((), ResourceSlot())
    assert [s.session_id for s in data.pending_sessions] == [session_id]


async def test_pending_sessions_in_submission_order_with_kernels_and_dependencies(
    db_engine: AsyncEngine, repo: SchedulerRepository
) -> None:
    await add_scaling_group(db_engine)
    await add_scaling_group(db_engine, "other")
    tenant = await add_tenant(db_engine)
    done, _ = await add_session(
        db_engine, tenant, status=S.TERMINATED, result=SessionResult.SUCCESS
    )
    running, _ = await add_session(db_engine, tenant, status=S.RUNNING, scaling_group="other")
    unrelated, _ = await add_session(db_engine, tenant, status=S.RUNNING)
    await add_session(db_engine, tenant, status=S.RUNNING, depends_on=[unrelated])
    await add_session(db_engine, tenant, scaling_group="other", depends_on=[unrelated])
    late, _ = await add_session(db_engine, tenant, created_at=T0 + timedelta(seconds=9))
    tied = sorted(
        [
            (await add_session(db_engine, tenant, created_at=T0 + timedelta(seconds=1)))[0]
            for _ in range(2)
        ]
    )
    multi, (k1, k2) = await add_session(
        db_engine,
        tenant,
        kernels=[KernelSpec(slots={"cpu": 2}), KernelSpec(slots={"cpu": 1}, architecture="arm64")],
        cluster_mode=ClusterMode.MULTI_NODE,
        priority=20,
        designated_agent_ids=["a2", "a1"],
        starts_at=T0 + timedelta(hours=1),
        depends_on=[running, done],
    )

    data = await repo.get_scheduling_data("default")

    assert data is not None
    assert [s.session_id for s in data.pending_sessions] == [multi, *tied, late]
    first = data.pending_sessions[0]
    assert first.kernels == (
        PendingKernel(k1, "python:3.11", "x86_64", cpu(2), "main", 1),
        PendingKernel(k2, "python:3.11", "arm64", cpu(1), "sub", 2),
    )
    assert (first.cluster_mode, first.cluster_size, first.priority) == (
        ClusterMode.MULTI_NODE,
        2,
        20,
    )
    assert first.requested_slots == cpu(3)
    assert first.designated_agent_ids == (AgentId("a2"), AgentId("a1"))
    assert (first.starts_at, first.created_at) == (T0 + timedelta(hours=1), T0)
    assert (first.access_key, first.user_id, first.group_id, first.domain_name) == (
        tenant.access_key,
        tenant.user_id,
        tenant.group_id,
        tenant.domain_name,
    )
    assert first.depends_on == tuple(sorted([running, done]))
    assert all(
        s.depends_on == () and s.designated_agent_ids is None for s in data.pending_sessions[1:]
    )
    # Only what pending sessions of this group depend on, wherever those sessions run.
    assert dict(data.dependencies) == {
        done: DependencyState(S.TERMINATED, SessionResult.SUCCESS),
        running: DependencyState(S.RUNNING, SessionResult.UNDEFINED),
    }


async def test_pending_session_knows_the_deployment_it_serves(
    db_engine: AsyncEngine, repo: SchedulerRepository
) -> None:
    await add_scaling_group(db_engine)
    tenant = await add_tenant(db_engine)
    replica, _ = await add_session(db_engine, tenant)
    plain, _ = await add_session(db_engine, tenant, created_at=T0 + timedelta(seconds=1))
    deployment_id = uuid.uuid4()
    await insert(
        db_engine,
        t.deployments,
        [
            {
                "id": deployment_id,
                "name": "llm",
                "domain_name": tenant.domain_name,
                "group_id": tenant.group_id,
                "created_user": tenant.user_id,
                "session_owner": tenant.access_key,
                "resource_group": "default",
                "image": "python:3.11",
                "architecture": "x86_64",
                "port": 8000,
                "replicas": 1,
                "created_at": T0,
            }
        ],
    )
    route = {"endpoint_id": deployment_id, "created_at": T0, "status_changed": T0}
    await insert(
        db_engine,
        t.routes,
        [{"id": uuid.uuid4(), "session_id": replica, "status": RouteStatus.PROVISIONING, **route}],
    )

    data = await repo.get_scheduling_data("default")

    assert data is not None
    assert [(s.session_id, s.endpoint_id) for s in data.pending_sessions] == [
        (replica, deployment_id),
        (plain, None),
    ]


@pytest.fixture
async def owners(db_engine: AsyncEngine) -> dict[str, Tenant]:
    """Tenants in two groups of domain d1, one in d2, one in d3; policies on alice's chain."""
    await add_scaling_group(db_engine)
    await add_scaling_group(db_engine, "other")
    await add_resource_policy(
        db_engine,
        "kp",
        total={"cpu": 8},
        max_concurrent_sessions=3,
        max_pending_session_count=4,
        max_pending_session_resource_slots={"cpu": 6},
    )
    for name in ("up", "gp", "dp"):
        await add_resource_policy(db_engine, name, total={"cpu": 100})
    alice = await add_tenant(
        db_engine,
        domain="d1",
        group="g1",
        keypair_policy="kp",
        user_policy="up",
        group_policy="gp",
        domain_policy="dp",
    )
    return {
        "alice": alice,
        "bob": await add_tenant(
            db_engine, domain="d1", create_domain=False, group_id=alice.group_id
        ),
        "carol": await add_tenant(db_engine, domain="d1", create_domain=False, group="g2"),
        "dave": await add_tenant(db_engine, domain="d2", keypair_policy="kp", user_policy="up"),
        "erin": await add_tenant(db_engine, domain="d3"),
    }


async def test_occupancy_is_global_and_limited_to_owners_of_pending_sessions(
    db_engine: AsyncEngine, repo: SchedulerRepository, owners: dict[str, Tenant]
) -> None:
    alice, bob, carol, dave, erin = (owners[n] for n in ("alice", "bob", "carol", "dave", "erin"))

    async def add(tenant: Tenant, status: SessionStatus, group: str, *amounts: int | str) -> None:
        await add_session(
            db_engine, tenant, status=status, scaling_group=group, kernels=kernels_of(*amounts)
        )

    await add(alice, S.PENDING, "default", 1)
    await add(alice, S.PENDING, "other", 3, "0.5")  # pending elsewhere counts too
    await add(alice, S.RUNNING, "other", 2)
    await add(alice, S.TERMINATING, "default", "0.5")
    await add(alice, S.TERMINATED, "default", 50)  # holds nothing any more
    await add(alice, S.DEPRIORITIZING, "default", 50)  # holds nothing while waiting
    await add(bob, S.CREATING, "other", 4)
    await add(carol, S.RUNNING, "default", 5)
    await add(dave, S.RUNNING, "default", 7)
    await add(erin, S.PENDING, "default", 1)

    data = await repo.get_scheduling_data("default")

    assert data is not None
    occupancy = data.occupancy
    assert dict(occupancy.by_keypair) == {alice.access_key: cpu("2.5"), erin.access_key: cpu(0)}
    assert dict(occupancy.by_user) == {alice.user_id: cpu("2.5"), erin.user_id: cpu(0)}
    assert dict(occupancy.by_group) == {alice.group_id: cpu("6.5"), erin.group_id: cpu(0)}
    assert dict(occupancy.by_domain) == {"d1": cpu("11.5"), "d3": cpu(0)}
    assert dict(occupancy.concurrent_sessions) == {alice.access_key: 2, erin.access_key: 0}
    assert dict(occupancy.pending) == {
        alice.access_key: PendingStats(2, cpu("4.5")),
        erin.access_key: PendingStats(1, cpu(1)),
    }


async def test_policies_resolve_at_all_four_levels_for_pending_owners_only(
    db_engine: AsyncEngine, repo: SchedulerRepository, owners: dict[str, Tenant]
) -> None:
    alice, dave, erin = owners["alice"], owners["dave"], owners["erin"]
    await add_session(db_engine, alice)
    await add_session(db_engine, erin)  # references no policy at any level
    await add_session(db_engine, dave, status=S.RUNNING)  # has policies, but nothing pending

    data = await repo.get_scheduling_data("default")

    assert data is not None
    policies = data.policies
    assert dict(policies.by_keypair) == {
        alice.access_key: ResourcePolicySnapshot(
            name="kp",
            total_resource_slots=cpu(8),
            max_concurrent_sessions=3,
            max_pending_session_count=4,
            max_pending_session_resource_slots=cpu(6),
        )
    }
    assert dict(policies.by_user) == {
        alice.user_id: ResourcePolicySnapshot(
            name="up",
            total_resource_slots=cpu(100),
            max_concurrent_sessions=None,
            max_pending_session_count=None,
            max_pending_session_resource_slots=ResourceSlot(),
        )
    }
    assert {key: p.name for key, p in policies.by_group.items()} == {alice.group_id: "gp"}
    assert {key: p.name for key, p in policies.by_domain.items()} == {"d1": "dp"}
