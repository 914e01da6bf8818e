"""TERMINATE: TERMINATING sessions get destroy RPCs for their kernels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from sokovan.common.scheduling import StatusTransitions, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler.types import SessionWithKernels
from sokovan.scheduler.handlers.base import HandlerSpec, SessionLifecycleHandler
from sokovan.scheduler.handlers.ports import TerminatingSessionsReader
from sokovan.scheduler.results import SessionExecutionResult
from sokovan.scheduler.terminator.base import SessionTerminatorPort

_TERMINATED = TransitionStatus(SessionStatus.TERMINATED, KernelStatus.TERMINATED)


class TerminateSessionsLifecycleHandler(SessionLifecycleHandler):
    """Sends the termination RPCs and always reports nothing.

    Kernels reach TERMINATED through agent events, and the session follows through the
    CHECK_TERMINATING_PROGRESS promotion, so there is no success transition here. The
    sessions are re-read by id and only those still TERMINATING are sent to the terminator;
    when none is, or the input is empty, the terminator is not called. Terminator or
    repository errors propagate to the coordinator, whose expired / give-up transitions
    force TERMINATED.
    """

    spec: ClassVar[HandlerSpec] = HandlerSpec(
        name="terminate-sessions",
        target_statuses=frozenset({SessionStatus.TERMINATING}),
        target_kernels=None,
        status_transitions=StatusTransitions(
            success=None, expired=_TERMINATED, give_up=_TERMINATED
        ),
        lock_id=LockID.LOCKID_SOKOVAN_TARGET_TERMINATING,
    )

    def __init__(
        self, repository: TerminatingSessionsReader, terminator: SessionTerminatorPort
    ) -> None:
        self._repository = repository
        self._terminator = terminator

    async def execute(
        self, scaling_group: str, sessions: Sequence[SessionWithKernels]
    ) -> SessionExecutionResult:
        if not sessions:
            return SessionExecutionResult()
        terminating = await self._repository.get_terminating_sessions_by_ids(
            [session.session_id for session in sessions]
        )
        if terminating:
            await self._terminator.terminate_sessions_for_handler(terminating)
        return SessionExecutionResult()
