"""Values the API repository takes and returns: queries, pages, admin records and change sets.

Change sets (`…Changes`) name only what a PATCH changes: a field left at `UNSET` keeps its
column as it is, which is different from setting a nullable column to None.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Final

from sokovan.common.ids import AccessKey, GroupId, SessionId, UserId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import AgentSelectionStrategy, SequencerStrategy, UserRole
from sokovan.common.status import SessionStatus
from sokovan.repositories.scheduler.snapshot_types import AgentSnapshot
from sokovan.repositories.scheduler.types import (
    KernelInfo,
    SchedulingHistoryRecord,
    SessionInfo,
)


class Unset(Enum):
    """The type of `UNSET`: "leave this column as it is"."""

    UNSET = "unset"


UNSET: Final = Unset.UNSET


def assigned(changes: object) -> dict[str, Any]:
    """The fields of a change set that are not `UNSET`, by name (= column name)."""
    if not dataclasses.is_dataclass(changes):
        raise TypeError(f"a change set must be a dataclass, not {type(changes).__name__}")
    return {
        spec.name: getattr(changes, spec.name)
        for spec in dataclasses.fields(changes)
        if getattr(changes, spec.name) is not UNSET
    }


# --- sessions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionCursor:
    """Where a newest-first page ended: the last session's (created_at, id)."""

    created_at: datetime
    session_id: SessionId


@dataclass(frozen=True, slots=True)
class SessionListQuery:
    """Sessions newest first; every given filter must match. `after` and `offset` both skip."""

    limit: int
    statuses: frozenset[SessionStatus] = frozenset()
    scaling_group: str | None = None
    name: str | None = None
    #: Only sessions of this user (a non-admin caller sees only their own).
    user_id: UserId | None = None
    after: SessionCursor | None = None
    offset: int = 0


@dataclass(frozen=True, slots=True)
class SessionPage:
    items: tuple[SessionInfo, ...]
    #: Where the next page starts; None when this page is the last.
    next_cursor: SessionCursor | None


@dataclass(frozen=True, slots=True)
class SessionDetail:
    session: SessionInfo
    kernels: tuple[KernelInfo, ...]
    #: Oldest first.
    history: tuple[SchedulingHistoryRecord, ...]


# --- authentication and submission ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CredentialRecord:
    """A keypair with what authorisation needs about its owner."""

    access_key: AccessKey
    secret_key_hash: str = field(repr=False)
    keypair_role: UserRole
    user_id: UserId
    user_role: UserRole
    domain_name: str
    #: The keypair, its user and the user's domain are all active.
    active: bool


@dataclass(frozen=True, slots=True)
class PolicyLimit:
    """A resource policy's cap on what one owner may hold in total (empty: no cap)."""

    name: str
    total_resource_slots: ResourceSlot


@dataclass(frozen=True, slots=True)
class MemberGroup:
    group_id: GroupId
    name: str
    policy: PolicyLimit | None


@dataclass(frozen=True, slots=True)
class SubmissionFacts:
    """What the API checks a submission against before the controller sees it."""

    #: The scaling group exists and is active.
    scaling_group_usable: bool
    max_container_count: int | None
    #: The scaling group's ALIVE agents (schedulable or not: capacity is what counts).
    alive_agents: tuple[AgentSnapshot, ...]
    #: The keypair owner's groups in the owner's domain, by name.
    groups: tuple[MemberGroup, ...]
    keypair_policy: PolicyLimit | None
    user_policy: PolicyLimit | None
    domain_policy: PolicyLimit | None


# --- metrics ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentUsage:
    agent_id: str
    scaling_group: str
    available_slots: ResourceSlot
    occupied_slots: ResourceSlot


@dataclass(frozen=True, slots=True)
class ClusterStats:
    #: Every status, zero where no session has it.
    sessions_by_status: dict[SessionStatus, int]
    #: ALIVE agents, by id.
    agents: tuple[AgentUsage, ...]


# --- administration -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListWindow:
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True, slots=True)
class ResourcePolicyRecord:
    name: str
    total_resource_slots: ResourceSlot
    max_concurrent_sessions: int | None
    max_pending_session_count: int | None
    max_pending_session_resource_slots: ResourceSlot
    max_session_lifetime: float | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DomainRecord:
    name: str
    description: str
    is_active: bool
    resource_policy: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class GroupRecord:
    id: GroupId
    name: str
    domain_name: str
    description: str
    is_active: bool
    resource_policy: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: UserId
    email: str
    username: str
    domain_name: str
    role: UserRole
    is_active: bool
    resource_policy: str | None
    created_at: datetime
    group_ids: tuple[GroupId, ...]


@dataclass(frozen=True, slots=True)
class KeypairInfo:
    """A keypair without its secret hash."""

    access_key: AccessKey
    user_id: UserId
    role: UserRole
    is_active: bool
    resource_policy: str | None
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class ScalingGroupRecord:
    name: str
    description: str
    is_active: bool
    scheduler: SequencerStrategy
    agent_selection_strategy: AgentSelectionStrategy
    agent_selection_resource_priority: tuple[str, ...]
    pending_timeout: float | None
    max_container_count: int | None
    enforce_spreading_endpoint_replica: bool
    app_proxy_addr: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewGroup:
    domain_name: str
    name: str
    description: str = ""
    resource_policy: str | None = None


@dataclass(frozen=True, slots=True)
class ResourcePolicyChanges:
    total_resource_slots: ResourceSlot | Unset = UNSET
    max_concurrent_sessions: int | Unset | None = UNSET
    max_pending_session_count: int | Unset | None = UNSET
    max_pending_session_resource_slots: ResourceSlot | Unset = UNSET
    max_session_lifetime: float | Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class DomainChanges:
    description: str | Unset = UNSET
    is_active: bool | Unset = UNSET
    resource_policy: str | Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class GroupChanges:
    description: str | Unset = UNSET
    is_active: bool | Unset = UNSET
    resource_policy: str | Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class UserChanges:
    role: UserRole | Unset = UNSET
    is_active: bool | Unset = UNSET
    resource_policy: str | Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class KeypairChanges:
    role: UserRole | Unset = UNSET
    is_active: bool | Unset = UNSET
    resource_policy: str | Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class ScalingGroupChanges:
    description: str | Unset = UNSET
    is_active: bool | Unset = UNSET
    scheduler: SequencerStrategy | Unset = UNSET
    agent_selection_strategy: AgentSelectionStrategy | Unset = UNSET
    agent_selection_resource_priority: tuple[str, ...] | Unset = UNSET
    pending_timeout: float | Unset | None = UNSET
    max_container_count: int | Unset | None = UNSET
    enforce_spreading_endpoint_replica: bool | Unset = UNSET
    app_proxy_addr: str | Unset | None = UNSET
