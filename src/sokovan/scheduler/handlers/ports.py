"""The narrow ports the lifecycle and maintenance handlers depend on.

Each protocol names exactly the repository or provisioner methods one handler calls, so a
handler can be wired to the real `SchedulerRepository` / `SessionProvisioner` (which satisfy
them structurally) and tested against a small recording fake. The launcher and terminator
ports live with their implementations (`launcher/base.py`, `terminator/base.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sokovan.common.ids import SessionId
from sokovan.repositories.scheduler.conditions import SessionQuerier
from sokovan.repositories.scheduler.snapshot_types import SchedulingData
from sokovan.repositories.scheduler.types import (
    PendingTimeoutSessionData,
    SessionsForPullResult,
    SessionsWithUserResult,
    TerminatingSessionData,
)


class SessionsForPullReader(Protocol):
    """What CheckPrecondition reads."""

    async def get_sessions_for_pull_by_ids(
        self, session_ids: Sequence[SessionId]
    ) -> SessionsForPullResult: ...


class SchedulingDataReader(Protocol):
    """What ScheduleSessions reads."""

    async def get_scheduling_data(self, scaling_group: str) -> SchedulingData | None: ...


class SessionsForStartReader(Protocol):
    """What StartSessions reads."""

    async def search_sessions_with_kernels_and_user(
        self, querier: SessionQuerier
    ) -> SessionsWithUserResult: ...


class TerminatingSessionsReader(Protocol):
    """What TerminateSessions reads."""

    async def get_terminating_sessions_by_ids(
        self, session_ids: Sequence[SessionId]
    ) -> list[TerminatingSessionData]: ...


class SessionPriorityWriter(Protocol):
    """What DeprioritizeSessions writes."""

    async def lower_session_priority(
        self, session_ids: Sequence[SessionId], amount: int, min_priority: int
    ) -> None: ...


class PendingTimeoutReader(Protocol):
    """What SweepSessions reads."""

    async def get_pending_timeout_sessions_by_ids(
        self, session_ids: Sequence[SessionId]
    ) -> list[PendingTimeoutSessionData]: ...


class ScheduledSession(Protocol):
    """One session the provisioner placed (and committed) in this cycle."""

    @property
    def session_id(self) -> SessionId: ...


class UnscheduledSession(Protocol):
    """One session the provisioner left waiting, with the reason its owner is shown."""

    @property
    def session_id(self) -> SessionId: ...

    @property
    def code(self) -> str: ...

    @property
    def reason(self) -> str: ...


class ScheduleOutcome(Protocol):
    """The part of the provisioner's result the handler reads."""

    @property
    def scheduled_sessions(self) -> Sequence[ScheduledSession]: ...

    @property
    def unscheduled_sessions(self) -> Sequence[UnscheduledSession]: ...


class SessionProvisionerPort(Protocol):
    async def schedule_scaling_group(
        self, scaling_group: str, scheduling_data: SchedulingData
    ) -> ScheduleOutcome:
        """Place what fits of `scheduling_data`'s pending sessions and commit the placements.

        Every scheduled session is one of the snapshot's pending sessions.
        """
        ...
