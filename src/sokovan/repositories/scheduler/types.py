"""Read models the scheduler repository returns to handlers, launcher and terminator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sokovan.common.ids import AccessKey, AgentId, GroupId, KernelId, SessionId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ClusterMode, SchedulingResult, SessionType
from sokovan.common.status import KernelStatus, SessionResult, SessionStatus


@dataclass(frozen=True, slots=True)
class ImageIdentifier:
    name: str
    architecture: str


@dataclass(frozen=True, slots=True)
class ImageConfig:
    """How an agent materialises an image (see the process runtime)."""

    name: str
    architecture: str
    environment: Mapping[str, Any]
    min_slots: ResourceSlot


@dataclass(frozen=True, slots=True)
class KernelInfo:
    kernel_id: KernelId
    session_id: SessionId
    access_key: AccessKey
    scaling_group: str
    agent_id: AgentId | None
    agent_addr: str | None
    container_id: str | None
    cluster_role: str
    cluster_idx: int
    local_rank: int
    cluster_hostname: str
    image: str
    architecture: str
    requested_slots: ResourceSlot
    occupied_slots: ResourceSlot
    status: KernelStatus
    status_info: str | None
    status_changed: datetime
    exit_code: int | None
    #: A shell-style command line run instead of the image's default command.
    startup_command: str | None = None


@dataclass(frozen=True, slots=True)
class SessionInfo:
    session_id: SessionId
    creation_id: str
    name: str
    session_type: SessionType
    priority: int
    cluster_mode: ClusterMode
    cluster_size: int
    domain_name: str
    group_id: GroupId
    user_id: UserId
    access_key: AccessKey
    scaling_group: str
    status: SessionStatus
    status_info: str | None
    status_changed: datetime
    result: SessionResult
    requested_slots: ResourceSlot
    occupying_slots: ResourceSlot
    designated_agent_ids: tuple[AgentId, ...] | None
    starts_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SessionWithKernels:
    """A session with its kernels, plus what the coordinator learned from its history."""

    session_info: SessionInfo
    kernel_infos: tuple[KernelInfo, ...]
    #: Attempts of the current phase so far (from the last history row of that phase).
    phase_attempts: int = 0
    #: When the current phase was first attempted; None when it was never attempted.
    phase_started_at: datetime | None = None

    @property
    def session_id(self) -> SessionId:
        return self.session_info.session_id

    @property
    def status(self) -> SessionStatus:
        return self.session_info.status


@dataclass(frozen=True, slots=True)
class KernelSearchResult:
    items: list[KernelInfo]


@dataclass(frozen=True, slots=True)
class KernelBindingData:
    """A kernel and the agent it is bound to: what image pulling and termination need."""

    kernel_id: KernelId
    agent_id: AgentId | None
    agent_addr: str | None
    container_id: str | None
    image: str
    architecture: str
    status: KernelStatus


@dataclass(frozen=True, slots=True)
class SessionDataForPull:
    session_id: SessionId
    creation_id: str
    access_key: AccessKey
    kernels: tuple[KernelBindingData, ...]


@dataclass(frozen=True, slots=True)
class SessionsForPullResult:
    sessions: list[SessionDataForPull]
    image_configs: Mapping[ImageIdentifier, ImageConfig]


@dataclass(frozen=True, slots=True)
class UserData:
    user_id: UserId
    email: str
    username: str
    domain_name: str
    group_id: GroupId
    group_name: str


@dataclass(frozen=True, slots=True)
class SessionDataForStart:
    """Everything the launcher needs to create a session's kernels."""

    session: SessionInfo
    kernels: tuple[KernelInfo, ...]
    user: UserData
    environ: Mapping[str, str]
    network_type: str | None
    network_id: str | None


@dataclass(frozen=True, slots=True)
class SessionsWithUserResult:
    sessions: list[SessionDataForStart]
    image_configs: Mapping[ImageIdentifier, ImageConfig]


@dataclass(frozen=True, slots=True)
class TerminatingSessionData:
    session_id: SessionId
    creation_id: str
    access_key: AccessKey
    status: SessionStatus
    status_info: str | None
    kernels: tuple[KernelBindingData, ...]


@dataclass(frozen=True, slots=True)
class PendingTimeoutSessionData:
    session_id: SessionId
    creation_id: str
    access_key: AccessKey
    scaling_group: str
    created_at: datetime
    pending_timeout: float


@dataclass(frozen=True, slots=True)
class SchedulingHistoryRecord:
    id: Any
    session_id: SessionId
    phase: str
    from_status: SessionStatus | None
    to_status: SessionStatus | None
    result: SchedulingResult
    error_code: str | None
    message: str
    attempts: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class KeypairOccupancy:
    """What one access key currently holds: slots of resource-occupying sessions and counts."""

    access_key: AccessKey
    occupied_slots: ResourceSlot = field(default_factory=ResourceSlot)
    concurrent_sessions: int = 0
    pending_sessions: int = 0
