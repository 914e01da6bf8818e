"""START: PREPARED sessions get their kernels created on their agents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Final

from sokovan.common.scheduling import StatusTransitions, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler.conditions import SessionConditions, SessionQuerier
from sokovan.repositories.scheduler.types import SessionWithKernels
from sokovan.scheduler.handlers.base import HandlerSpec, SessionLifecycleHandler
from sokovan.scheduler.handlers.ports import SessionsForStartReader
from sokovan.scheduler.launcher.base import SessionLauncherPort
from sokovan.scheduler.results import SessionExecutionResult, SessionTransitionInfo

TRIGGERED_BY_SCHEDULER: Final = "triggered-by-scheduler"


class StartSessionsLifecycleHandler(SessionLifecycleHandler):
    """Asks the launcher to create the kernels of every input session; all are successes.

    Kernel creation completes asynchronously (the promotion to RUNNING follows agent
    events). Only sessions still PREPARED when read are handed to the launcher, so a session
    marked for termination in the meantime never gets kernels; its success entry is then
    dropped by the coordinator's expected-status guard. Launcher or repository errors
    propagate to the coordinator. Empty input makes no call.
    """

    spec: ClassVar[HandlerSpec] = HandlerSpec(
        name="start-sessions",
        target_statuses=frozenset({SessionStatus.PREPARED}),
        target_kernels=None,
        status_transitions=StatusTransitions(
            success=TransitionStatus(SessionStatus.CREATING, KernelStatus.CREATING),
            expired=TransitionStatus(SessionStatus.PENDING, KernelStatus.PENDING),
        ),
        lock_id=LockID.LOCKID_SOKOVAN_TARGET_PREPARED,
    )

    def __init__(self, repository: SessionsForStartReader, launcher: SessionLauncherPort) -> None:
        self._repository = repository
        self._launcher = launcher

    async def execute(
        self, scaling_group: str, sessions: Sequence[SessionWithKernels]
    ) -> SessionExecutionResult:
        if not sessions:
            return SessionExecutionResult()
        querier = SessionQuerier(
            conditions=(
                SessionConditions.by_ids(session.session_id for session in sessions),
                SessionConditions.by_statuses(self.spec.target_statuses),
            )
        )
        to_start = await self._repository.search_sessions_with_kernels_and_user(querier)
        await self._launcher.start_sessions_for_handler(to_start.sessions, to_start.image_configs)
        return SessionExecutionResult(
            successes=[SessionTransitionInfo.of(s, TRIGGERED_BY_SCHEDULER) for s in sessions]
        )
