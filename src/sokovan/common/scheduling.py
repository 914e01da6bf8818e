"""Scheduler vocabulary: schedule types, kernel matching, transitions, strategies."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sokovan.common.status import KernelStatus, SessionStatus

SESSION_PRIORITY_MIN = 0
SESSION_PRIORITY_MAX = 100
SESSION_PRIORITY_DEFAULT = 10


class ScheduleType(StrEnum):
    SCHEDULE = "schedule"
    DEPRIORITIZE = "deprioritize"
    SWEEP = "sweep"
    CHECK_PRECONDITION = "check_precondition"
    START = "start"
    TERMINATE = "terminate"
    CHECK_PULLING_PROGRESS = "check_pulling_progress"
    CHECK_CREATING_PROGRESS = "check_creating_progress"
    CHECK_TERMINATING_PROGRESS = "check_terminating_progress"
    SWEEP_STALE_KERNELS = "sweep_stale_kernels"
    DETECT_KERNEL_TERMINATION = "detect_kernel_termination"


class KernelMatchType(StrEnum):
    ALL = "ALL"  #: every kernel of the session is in the given statuses
    ANY = "ANY"  #: at least one kernel is
    NOT_ANY = "NOT_ANY"  #: no kernel is


class SchedulingResult(StrEnum):
    """What a scheduling attempt did, as recorded in the history."""

    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    NEED_RETRY = "NEED_RETRY"
    EXPIRED = "EXPIRED"
    GIVE_UP = "GIVE_UP"
    SKIPPED = "SKIPPED"


@dataclass(frozen=True, slots=True)
class TransitionStatus:
    """Target statuses of one transition; None leaves that entity as it is."""

    session: SessionStatus | None
    kernel: KernelStatus | None


@dataclass(frozen=True, slots=True)
class StatusTransitions:
    """What a handler's outcomes do to a session; None means no transition for that outcome."""

    success: TransitionStatus | None = None
    need_retry: TransitionStatus | None = None
    expired: TransitionStatus | None = None
    give_up: TransitionStatus | None = None


class ClusterMode(StrEnum):
    SINGLE_NODE = "single-node"  #: every kernel on one agent
    MULTI_NODE = "multi-node"  #: kernels may spread across agents


class SessionType(StrEnum):
    INTERACTIVE = "interactive"
    BATCH = "batch"
    INFERENCE = "inference"


class SequencerStrategy(StrEnum):
    """Order in which a scaling group's pending sessions are considered."""

    FIFO = "fifo"
    LIFO = "lifo"
    DRF = "drf"


class AgentSelectionStrategy(StrEnum):
    CONCENTRATED = "concentrated"
    DISPERSED = "dispersed"
    ROUNDROBIN = "roundrobin"
    LEGACY = "legacy"


class UserRole(StrEnum):
    SUPERADMIN = "superadmin"
    ADMIN = "admin"
    USER = "user"
