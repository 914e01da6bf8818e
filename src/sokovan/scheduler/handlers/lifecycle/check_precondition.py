"""CHECK_PRECONDITION: SCHEDULED sessions get their images checked (and pulled) on their agents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Final

from sokovan.common.scheduling import StatusTransitions, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler.types import SessionWithKernels
from sokovan.scheduler.handlers.base import HandlerSpec, SessionLifecycleHandler
from sokovan.scheduler.handlers.ports import SessionsForPullReader
from sokovan.scheduler.launcher.base import SessionLauncherPort
from sokovan.scheduler.results import SessionExecutionResult, SessionTransitionInfo

PASSED_PRECONDITIONS: Final = "passed-preconditions"


class CheckPreconditionLifecycleHandler(SessionLifecycleHandler):
    """Triggers image pulling for every input session and reports them all as successes.

    Pulling completes asynchronously (agents report progress as events; the promotion to
    PREPARED follows), so nothing here waits for it. A launcher or repository error
    propagates: the coordinator turns it into failures for the whole batch. Empty input
    touches neither the repository nor the launcher.
    """

    spec: ClassVar[HandlerSpec] = HandlerSpec(
        name="check-precondition",
        target_statuses=frozenset({SessionStatus.SCHEDULED}),
        target_kernels=None,
        status_transitions=StatusTransitions(
            success=TransitionStatus(SessionStatus.PREPARING, KernelStatus.PREPARING),
            expired=TransitionStatus(SessionStatus.PENDING, KernelStatus.PENDING),
        ),
        lock_id=LockID.LOCKID_SOKOVAN_TARGET_SCHEDULED,
    )

    def __init__(self, repository: SessionsForPullReader, launcher: SessionLauncherPort) -> None:
        self._repository = repository
        self._launcher = launcher

    async def execute(
        self, scaling_group: str, sessions: Sequence[SessionWithKernels]
    ) -> SessionExecutionResult:
        if not sessions:
            return SessionExecutionResult()
        pull = await self._repository.get_sessions_for_pull_by_ids(
            [session.session_id for session in sessions]
        )
        await self._launcher.trigger_image_pulling(pull.sessions, pull.image_configs)
        return SessionExecutionResult(
            successes=[SessionTransitionInfo.of(s, PASSED_PRECONDITIONS) for s in sessions]
        )
