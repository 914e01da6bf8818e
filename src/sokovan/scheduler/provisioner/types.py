"""What the provisioner returns: the sessions it placed, and why the others wait."""

from __future__ import annotations

from dataclasses import dataclass, field

from sokovan.common.ids import AccessKey, SessionId
from sokovan.scheduler.provisioner.selectors.types import KernelPlacement


@dataclass(frozen=True, slots=True)
class ScheduledSessionData:
    session_id: SessionId
    creation_id: str
    access_key: AccessKey
    scaling_group: str
    placements: tuple[KernelPlacement, ...]


@dataclass(frozen=True, slots=True)
class UnscheduledSession:
    """A pending session left waiting this cycle; `reason` is shown to its owner verbatim."""

    session_id: SessionId
    access_key: AccessKey
    #: Stable code of the stage that stopped it ("quota-exceeded", "insufficient-resources", …).
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class ScheduleResult:
    scheduled_sessions: list[ScheduledSessionData] = field(default_factory=list)
    unscheduled_sessions: list[UnscheduledSession] = field(default_factory=list)
