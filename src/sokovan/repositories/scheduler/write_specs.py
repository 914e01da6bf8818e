"""Write requests: status changes, history rows and allocations, as frozen values.

The coordinator decides (builds these), then the repository commits them in one transaction
("decide, then commit").
"""

from __future__ import annotations

from dataclasses import dataclass

from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import SchedulingResult
from sokovan.common.status import KernelStatus, SessionStatus


@dataclass(frozen=True, slots=True)
class SessionStatusChange:
    session_id: SessionId
    #: New session status; None leaves the session's status as it is.
    to_status: SessionStatus | None
    #: New status for all of the session's kernels that are not yet finished; None: unchanged.
    kernel_to_status: KernelStatus | None
    #: Stored as status_info (the reason shown to users).
    reason: str | None = None
    #: Optimistic guard: apply only while the session is still in this status (or already
    #: in `to_status`: re-applying a transition is idempotent and still records history).
    expected_status: SessionStatus | None = None


@dataclass(frozen=True, slots=True)
class SessionStatusUpdater:
    changes: tuple[SessionStatusChange, ...]


@dataclass(frozen=True, slots=True)
class SessionHistorySpec:
    session_id: SessionId
    phase: str
    result: SchedulingResult
    from_status: SessionStatus | None
    to_status: SessionStatus | None
    message: str = ""
    error_code: str | None = None


@dataclass(frozen=True, slots=True)
class SchedulingHistoryCreator:
    specs: tuple[SessionHistorySpec, ...]


@dataclass(frozen=True, slots=True)
class KernelAllocation:
    kernel_id: KernelId
    agent_id: AgentId
    slots: ResourceSlot


@dataclass(frozen=True, slots=True)
class SessionAllocation:
    session_id: SessionId
    scaling_group: str
    kernels: tuple[KernelAllocation, ...]


@dataclass(frozen=True, slots=True)
class AllocationBatch:
    """Placements decided in one SCHEDULE cycle, committed together."""

    allocations: tuple[SessionAllocation, ...]
    #: New round-robin position to persist for the scaling group, if the selector moved it.
    roundrobin_next_index: tuple[str, int] | None = None


@dataclass(frozen=True, slots=True)
class RejectedAllocation:
    session_id: SessionId
    reason: str


@dataclass(frozen=True, slots=True)
class AllocationOutcome:
    allocated: tuple[SessionId, ...]
    rejected: tuple[RejectedAllocation, ...]
