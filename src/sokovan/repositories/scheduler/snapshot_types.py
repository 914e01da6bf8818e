"""The in-memory snapshot of one scaling group that placement works on (see issue: provisioner).

Loaded by `get_scheduling_data` in a handful of set-based queries; the provisioner then places
sessions without touching the database until it commits with `allocate_sessions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sokovan.common.ids import AccessKey, AgentId, GroupId, KernelId, SessionId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import (
    AgentSelectionStrategy,
    ClusterMode,
    SequencerStrategy,
    SessionType,
)
from sokovan.common.status import SessionResult, SessionStatus


@dataclass(frozen=True, slots=True)
class ScalingGroupConfig:
    name: str
    scheduler: SequencerStrategy
    agent_selection_strategy: AgentSelectionStrategy
    agent_selection_resource_priority: tuple[str, ...]
    max_container_count: int | None
    enforce_spreading_endpoint_replica: bool
    pending_timeout: float | None
    roundrobin_next_index: int


@dataclass(frozen=True, slots=True)
class AgentSnapshot:
    agent_id: AgentId
    addr: str
    architecture: str
    available_slots: ResourceSlot
    occupied_slots: ResourceSlot
    container_count: int


@dataclass(frozen=True, slots=True)
class PendingKernel:
    kernel_id: KernelId
    image: str
    architecture: str
    requested_slots: ResourceSlot
    cluster_role: str
    cluster_idx: int


@dataclass(frozen=True, slots=True)
class PendingSession:
    session_id: SessionId
    creation_id: str
    access_key: AccessKey
    user_id: UserId
    group_id: GroupId
    domain_name: str
    priority: int
    session_type: SessionType
    cluster_mode: ClusterMode
    cluster_size: int
    requested_slots: ResourceSlot
    kernels: tuple[PendingKernel, ...]
    designated_agent_ids: tuple[AgentId, ...] | None
    starts_at: datetime | None
    created_at: datetime
    depends_on: tuple[SessionId, ...]
    #: The deployment this session is a replica of, for replica spreading.
    endpoint_id: object | None = None


@dataclass(frozen=True, slots=True)
class ResourcePolicySnapshot:
    """Limits of one policy; empty slots / None mean unlimited."""

    name: str
    total_resource_slots: ResourceSlot
    max_concurrent_sessions: int | None
    max_pending_session_count: int | None
    max_pending_session_resource_slots: ResourceSlot


@dataclass(frozen=True, slots=True)
class DependencyState:
    status: SessionStatus
    result: SessionResult


@dataclass(frozen=True, slots=True)
class PendingStats:
    count: int = 0
    slots: ResourceSlot = field(default_factory=ResourceSlot)


@dataclass(frozen=True, slots=True)
class OccupancySnapshot:
    """Slots held by resource-occupying sessions, across all scaling groups (quotas are global)."""

    by_keypair: Mapping[AccessKey, ResourceSlot]
    by_user: Mapping[UserId, ResourceSlot]
    by_group: Mapping[GroupId, ResourceSlot]
    by_domain: Mapping[str, ResourceSlot]
    #: Resource-occupying sessions per access key (for max_concurrent_sessions).
    concurrent_sessions: Mapping[AccessKey, int]
    #: PENDING sessions per access key (for the pending count and pending slot limits).
    pending: Mapping[AccessKey, PendingStats]


@dataclass(frozen=True, slots=True)
class PolicySnapshot:
    """The resource policy in force for each owner that has pending sessions; absent = none."""

    by_keypair: Mapping[AccessKey, ResourcePolicySnapshot]
    by_user: Mapping[UserId, ResourcePolicySnapshot]
    by_group: Mapping[GroupId, ResourcePolicySnapshot]
    by_domain: Mapping[str, ResourcePolicySnapshot]


@dataclass(frozen=True, slots=True)
class SchedulingData:
    scaling_group: ScalingGroupConfig
    #: ALIVE, schedulable agents of the scaling group, ordered by id.
    agents: tuple[AgentSnapshot, ...]
    #: PENDING sessions of the scaling group with their kernels, in submission order.
    pending_sessions: tuple[PendingSession, ...]
    total_capacity: ResourceSlot
    policies: PolicySnapshot
    occupancy: OccupancySnapshot
    #: Status and result of every session a pending session depends on.
    dependencies: Mapping[SessionId, DependencyState]
