"""Query conditions as plain values.

Handlers describe *what* they want ("sessions of this scaling group in PREPARING whose kernels
are NOT_ANY pre-prepared"); the repository alone turns that into SQL. Being frozen values, the
conditions can be compared in tests without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.scheduling import KernelMatchType
from sokovan.common.status import KernelStatus, SessionStatus


@dataclass(frozen=True, slots=True)
class ByScalingGroup:
    scaling_group: str


@dataclass(frozen=True, slots=True)
class BySessionStatuses:
    statuses: frozenset[SessionStatus]


@dataclass(frozen=True, slots=True)
class BySessionIds:
    session_ids: frozenset[SessionId]


@dataclass(frozen=True, slots=True)
class ByKernelMatch:
    """Session-level condition on its kernels' statuses (ALL / ANY / NOT_ANY)."""

    statuses: frozenset[KernelStatus]
    match_type: KernelMatchType


@dataclass(frozen=True, slots=True)
class ByStatusChangedBefore:
    """Sessions that entered their current status before that status's cutoff (strictly);
    a session in a status without a cutoff never matches."""

    cutoffs: frozenset[tuple[SessionStatus, datetime]]


SessionCondition = (
    ByScalingGroup | BySessionStatuses | BySessionIds | ByKernelMatch | ByStatusChangedBefore
)


class SessionConditions:
    """Constructors for session conditions, named as the seeds name them."""

    @staticmethod
    def by_scaling_group(scaling_group: str) -> ByScalingGroup:
        return ByScalingGroup(scaling_group)

    @staticmethod
    def by_statuses(statuses: Iterable[SessionStatus]) -> BySessionStatuses:
        return BySessionStatuses(frozenset(statuses))

    @staticmethod
    def by_ids(session_ids: Iterable[SessionId]) -> BySessionIds:
        return BySessionIds(frozenset(session_ids))

    @staticmethod
    def by_kernel_match(
        statuses: Iterable[KernelStatus], match_type: KernelMatchType
    ) -> ByKernelMatch:
        return ByKernelMatch(frozenset(statuses), match_type)

    @staticmethod
    def by_status_changed_before(
        cutoffs: Mapping[SessionStatus, datetime],
    ) -> ByStatusChangedBefore:
        return ByStatusChangedBefore(frozenset(cutoffs.items()))


@dataclass(frozen=True, slots=True)
class SessionQuerier:
    """All conditions must hold (AND). Results are ordered by creation time, then id."""

    conditions: tuple[SessionCondition, ...]
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class ByKernelStatuses:
    statuses: frozenset[KernelStatus]


@dataclass(frozen=True, slots=True)
class ByKernelIds:
    kernel_ids: frozenset[KernelId]


@dataclass(frozen=True, slots=True)
class ByKernelSessionIds:
    session_ids: frozenset[SessionId]


@dataclass(frozen=True, slots=True)
class ByAgentIds:
    agent_ids: frozenset[AgentId]


KernelCondition = ByScalingGroup | ByKernelStatuses | ByKernelIds | ByKernelSessionIds | ByAgentIds


class KernelConditions:
    @staticmethod
    def by_scaling_group(scaling_group: str) -> ByScalingGroup:
        return ByScalingGroup(scaling_group)

    @staticmethod
    def by_statuses(statuses: Iterable[KernelStatus]) -> ByKernelStatuses:
        return ByKernelStatuses(frozenset(statuses))

    @staticmethod
    def by_ids(kernel_ids: Iterable[KernelId]) -> ByKernelIds:
        return ByKernelIds(frozenset(kernel_ids))

    @staticmethod
    def by_session_ids(session_ids: Iterable[SessionId]) -> ByKernelSessionIds:
        return ByKernelSessionIds(frozenset(session_ids))

    @staticmethod
    def by_agent_ids(agent_ids: Iterable[AgentId]) -> ByAgentIds:
        return ByAgentIds(frozenset(agent_ids))


@dataclass(frozen=True, slots=True)
class KernelQuerier:
    conditions: tuple[KernelCondition, ...]
    limit: int | None = None
