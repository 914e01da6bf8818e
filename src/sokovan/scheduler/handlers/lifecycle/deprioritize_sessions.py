"""DEPRIORITIZE: sessions that gave up placement go back to the queue at a lower priority."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Final

from sokovan.common.scheduling import SESSION_PRIORITY_MIN, StatusTransitions, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler.types import SessionWithKernels
from sokovan.scheduler.handlers.base import HandlerSpec, SessionLifecycleHandler
from sokovan.scheduler.handlers.ports import SessionPriorityWriter
from sokovan.scheduler.results import SessionExecutionResult, SessionTransitionInfo

#: How much one round of deprioritising lowers a session's priority.
DEPRIORITIZE_AMOUNT: Final = 10
DEPRIORITIZED_FOR_RESCHEDULING: Final = "deprioritized-for-rescheduling"
CANCELLED_AT_MINIMUM_PRIORITY: Final = "cancelled-at-minimum-priority"

_CANCELLED = TransitionStatus(SessionStatus.CANCELLED, KernelStatus.CANCELLED)


class DeprioritizeSessionsLifecycleHandler(SessionLifecycleHandler):
    """Lowers the priority of DEPRIORITIZING sessions and sends them back to PENDING.

    Sessions above SESSION_PRIORITY_MIN get their priority lowered by DEPRIORITIZE_AMOUNT
    (clamped at the minimum) in one repository call and are successes (→ PENDING, kernels
    untouched). A session already at the minimum has had its last chance: deprioritising it
    again would cycle PENDING → DEPRIORITIZING forever, so it is a failure with reason
    "cancelled-at-minimum-priority" and its priority is left alone.

    Such a cancellation is final whatever the coordinator's failure classification
    (give_up > expired > need_retry) decides, so need_retry, expired and give_up all declare
    CANCELLED for the session and its kernels. Empty input makes no call.
    """

    spec: ClassVar[HandlerSpec] = HandlerSpec(
        name="deprioritize-sessions",
        target_statuses=frozenset({SessionStatus.DEPRIORITIZING}),
        target_kernels=None,
        status_transitions=StatusTransitions(
            success=TransitionStatus(SessionStatus.PENDING, None),
            need_retry=_CANCELLED,
            expired=_CANCELLED,
            give_up=_CANCELLED,
        ),
        lock_id=LockID.LOCKID_SOKOVAN_TARGET_DEPRIORITIZING,
    )

    def __init__(self, repository: SessionPriorityWriter) -> None:
        self._repository = repository

    async def execute(
        self, scaling_group: str, sessions: Sequence[SessionWithKernels]
    ) -> SessionExecutionResult:
        lowerable = [s for s in sessions if s.session_info.priority > SESSION_PRIORITY_MIN]
        exhausted = [s for s in sessions if s.session_info.priority <= SESSION_PRIORITY_MIN]
        if lowerable:
            await self._repository.lower_session_priority(
                [s.session_id for s in lowerable], DEPRIORITIZE_AMOUNT, SESSION_PRIORITY_MIN
            )
        return SessionExecutionResult(
            successes=[
                SessionTransitionInfo.of(s, DEPRIORITIZED_FOR_RESCHEDULING) for s in lowerable
            ],
            failures=[
                SessionTransitionInfo.of(s, CANCELLED_AT_MINIMUM_PRIORITY) for s in exhausted
            ],
        )
