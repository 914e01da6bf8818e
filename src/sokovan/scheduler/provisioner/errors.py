"""Why a session was not placed: typed, with a message a user can act on.

Every rejection names the stage and a reason code, so explanations can be aggregated
("3 sessions: user quota", …) and shown verbatim to the session's owner.
"""

from __future__ import annotations

from typing import ClassVar

from sokovan.common.errors import SokovanError


class SchedulingRejection(SokovanError):
    """A session cannot be placed this cycle. `code` is stable; the message is for people."""

    code: ClassVar[str] = "rejected"
    http_status: ClassVar[int] = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- validators ---------------------------------------------------------------------------


class ValidationRejection(SchedulingRejection):
    code: ClassVar[str] = "validation"


class ConcurrencyLimitExceeded(ValidationRejection):
    code: ClassVar[str] = "concurrency-limit"


class DependencyNotReady(ValidationRejection):
    code: ClassVar[str] = "dependency-pending"


class DependencyFailed(ValidationRejection):
    """A dependency ended unsuccessfully: this session can never run."""

    code: ClassVar[str] = "dependency-failed"


class QuotaExceeded(ValidationRejection):
    code: ClassVar[str] = "quota-exceeded"


class PendingSessionCountLimitExceeded(ValidationRejection):
    code: ClassVar[str] = "pending-count-limit"


class PendingSessionResourceLimitExceeded(ValidationRejection):
    code: ClassVar[str] = "pending-resource-limit"


class ReservedBatchNotStarted(ValidationRejection):
    code: ClassVar[str] = "starts-at-future"


# --- agent selection ----------------------------------------------------------------------


class AgentSelectionRejection(SchedulingRejection):
    code: ClassVar[str] = "no-agent"


class NoAvailableAgentError(AgentSelectionRejection):
    """The scaling group has no schedulable agent at all."""

    code: ClassVar[str] = "no-available-agent"


class NoCompatibleAgentError(AgentSelectionRejection):
    """No agent matches the architecture (or the designated agents are incompatible)."""

    code: ClassVar[str] = "no-compatible-agent"


class InsufficientResourcesError(AgentSelectionRejection):
    code: ClassVar[str] = "insufficient-resources"


class ContainerLimitExceededError(AgentSelectionRejection):
    code: ClassVar[str] = "container-limit"


# --- allocation ---------------------------------------------------------------------------


class AllocationConflict(SchedulingRejection):
    """Lost a race at commit time (another manager took the capacity first)."""

    code: ClassVar[str] = "allocation-conflict"
