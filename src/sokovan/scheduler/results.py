"""What handlers report back to the coordinator."""

from __future__ import annotations

from dataclasses import dataclass, field

from sokovan.common.ids import AccessKey, KernelId, SessionId
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.repositories.scheduler.types import KernelInfo, SessionInfo, SessionWithKernels


@dataclass(frozen=True, slots=True)
class SessionTransitionInfo:
    """One session's outcome in a handler run; `reason` becomes its status_info / history."""

    session_id: SessionId
    from_status: SessionStatus
    reason: str | None = None
    creation_id: str | None = None
    access_key: AccessKey | None = None
    #: A sentence for people beyond the reason code (e.g. why a session waits); recorded as
    #: the history message.
    detail: str | None = None
    #: A stable code for `detail` ("quota-exceeded", …); recorded as the history error code.
    error_code: str | None = None

    @classmethod
    def of(
        cls,
        session: SessionWithKernels | SessionInfo,
        reason: str | None,
        *,
        detail: str | None = None,
        error_code: str | None = None,
    ) -> SessionTransitionInfo:
        info = session.session_info if isinstance(session, SessionWithKernels) else session
        return cls(
            session_id=info.session_id,
            from_status=info.status,
            reason=reason,
            creation_id=info.creation_id,
            access_key=info.access_key,
            detail=detail,
            error_code=error_code,
        )


@dataclass(frozen=True, slots=True)
class SessionExecutionResult:
    successes: list[SessionTransitionInfo] = field(default_factory=list)
    failures: list[SessionTransitionInfo] = field(default_factory=list)
    skipped: list[SessionTransitionInfo] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class KernelTransitionInfo:
    kernel_id: KernelId
    session_id: SessionId
    from_status: KernelStatus
    reason: str | None = None

    @classmethod
    def of(cls, kernel: KernelInfo, reason: str | None) -> KernelTransitionInfo:
        return cls(kernel.kernel_id, kernel.session_id, kernel.status, reason)


@dataclass(frozen=True, slots=True)
class KernelExecutionResult:
    successes: list[KernelTransitionInfo] = field(default_factory=list)
    failures: list[KernelTransitionInfo] = field(default_factory=list)
