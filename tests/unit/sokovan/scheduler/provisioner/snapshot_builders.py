"""Builders of in-memory scheduling snapshots for provisioner unit tests.

Every argument has a neutral default (no policy, no occupancy, one owner), so a test spells
out only what its case is about.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from sokovan.common.ids import AccessKey, AgentId, GroupId, KernelId, SessionId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import (
    AgentSelectionStrategy,
    ClusterMode,
    SequencerStrategy,
    SessionType,
)
from sokovan.repositories.scheduler.snapshot_types import (
    AgentSnapshot,
    DependencyState,
    OccupancySnapshot,
    PendingKernel,
    PendingSession,
    PendingStats,
    PolicySnapshot,
    ResourcePolicySnapshot,
    ScalingGroupConfig,
    SchedulingData,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
AK = AccessKey("AKTEST")
USER = UserId(uuid.UUID(int=1))
GROUP = GroupId(uuid.UUID(int=2))
DOMAIN = "default"


def slots(**amounts: int | str) -> ResourceSlot:
    """`slots(cpu=2, mem="4g")`: amounts in user syntax (binary units for mem)."""
    return ResourceSlot.parse(amounts)


def session_id(n: int) -> SessionId:
    return SessionId(uuid.UUID(int=1000 + n))


def pending_session(
    *,
    sid: SessionId | None = None,
    access_key: AccessKey = AK,
    user_id: UserId = USER,
    group_id: GroupId = GROUP,
    domain_name: str = DOMAIN,
    priority: int = 10,
    at: int = 0,
    requested: ResourceSlot | None = None,
    session_type: SessionType = SessionType.INTERACTIVE,
    starts_at: datetime | None = None,
    depends_on: Sequence[SessionId] = (),
) -> PendingSession:
    """One single-kernel x86_64 session submitted `at` seconds after T0."""
    requested = slots(cpu=1, mem="1g") if requested is None else requested
    kernel = PendingKernel(
        kernel_id=KernelId(uuid.uuid4()),
        image="python:3.11",
        architecture="x86_64",
        requested_slots=requested,
        cluster_role="main",
        cluster_idx=1,
    )
    return PendingSession(
        session_id=sid or SessionId(uuid.uuid4()),
        creation_id=f"c-{at}",
        access_key=access_key,
        user_id=user_id,
        group_id=group_id,
        domain_name=domain_name,
        priority=priority,
        session_type=session_type,
        cluster_mode=ClusterMode.SINGLE_NODE,
        cluster_size=1,
        requested_slots=requested,
        kernels=(kernel,),
        designated_agent_ids=None,
        starts_at=starts_at,
        created_at=T0 + timedelta(seconds=at),
        depends_on=tuple(depends_on),
    )


def policy(
    name: str = "default",
    *,
    total: ResourceSlot | None = None,
    max_concurrent: int | None = None,
    max_pending_count: int | None = None,
    max_pending_slots: ResourceSlot | None = None,
) -> ResourcePolicySnapshot:
    return ResourcePolicySnapshot(
        name=name,
        total_resource_slots=total or ResourceSlot(),
        max_concurrent_sessions=max_concurrent,
        max_pending_session_count=max_pending_count,
        max_pending_session_resource_slots=max_pending_slots or ResourceSlot(),
    )


def agent(agent_id: str, available: ResourceSlot, *, architecture: str = "x86_64") -> AgentSnapshot:
    return AgentSnapshot(
        agent_id=AgentId(agent_id),
        addr=f"http://{agent_id}:6001",
        architecture=architecture,
        available_slots=available,
        occupied_slots=ResourceSlot(),
        container_count=0,
    )


def occupancy(
    *,
    by_keypair: Mapping[AccessKey, ResourceSlot] | None = None,
    by_user: Mapping[UserId, ResourceSlot] | None = None,
    by_group: Mapping[GroupId, ResourceSlot] | None = None,
    by_domain: Mapping[str, ResourceSlot] | None = None,
    concurrent: Mapping[AccessKey, int] | None = None,
    pending: Mapping[AccessKey, PendingStats] | None = None,
) -> OccupancySnapshot:
    return OccupancySnapshot(
        by_keypair=by_keypair or {},
        by_user=by_user or {},
        by_group=by_group or {},
        by_domain=by_domain or {},
        concurrent_sessions=concurrent or {},
        pending=pending or {},
    )


def policies(
    *,
    by_keypair: Mapping[AccessKey, ResourcePolicySnapshot] | None = None,
    by_user: Mapping[UserId, ResourcePolicySnapshot] | None = None,
    by_group: Mapping[GroupId, ResourcePolicySnapshot] | None = None,
    by_domain: Mapping[str, ResourcePolicySnapshot] | None = None,
) -> PolicySnapshot:
    return PolicySnapshot(
        by_keypair=by_keypair or {},
        by_user=by_user or {},
        by_group=by_group or {},
        by_domain=by_domain or {},
    )


def scheduling_data(
    *,
    sessions: Sequence[PendingSession] = (),
    total_capacity: ResourceSlot | None = None,
    policy_snapshot: PolicySnapshot | None = None,
    occupancy_snapshot: OccupancySnapshot | None = None,
    dependencies: Mapping[SessionId, DependencyState] | None = None,
    strategy: SequencerStrategy = SequencerStrategy.FIFO,
) -> SchedulingData:
    config = ScalingGroupConfig(
        name="default",
        scheduler=strategy,
        agent_selection_strategy=AgentSelectionStrategy.CONCENTRATED,
        agent_selection_resource_priority=("cpu", "mem"),
        max_container_count=None,
        enforce_spreading_endpoint_replica=False,
        pending_timeout=None,
        roundrobin_next_index=0,
    )
    return SchedulingData(
        scaling_group=config,
        agents=(),
        pending_sessions=tuple(sessions),
        total_capacity=total_capacity or ResourceSlot(),
        policies=policy_snapshot or policies(),
        occupancy=occupancy_snapshot or occupancy(),
        dependencies=dependencies or {},
    )
