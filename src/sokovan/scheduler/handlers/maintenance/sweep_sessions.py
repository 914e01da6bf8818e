"""SWEEP: PENDING sessions that waited longer than their scaling group allows are terminated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Final

from sokovan.common.scheduling import StatusTransitions, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler.types import SessionWithKernels
from sokovan.scheduler.handlers.base import HandlerSpec, SessionLifecycleHandler
from sokovan.scheduler.handlers.ports import PendingTimeoutReader
from sokovan.scheduler.results import SessionExecutionResult, SessionTransitionInfo

PENDING_TIMEOUT_EXCEEDED: Final = "PENDING_TIMEOUT_EXCEEDED"

_TERMINATING = TransitionStatus(SessionStatus.TERMINATING, KernelStatus.TERMINATING)


class SweepSessionsLifecycleHandler(SessionLifecycleHandler):
    """Reports the input sessions past their pending timeout as failures.

    The repository decides who timed out (the scaling group's pending_timeout, counted from
    submission); those sessions are failures with reason "PENDING_TIMEOUT_EXCEEDED", in input
    order. Sessions within their timeout are not reported at all, so a long queue does not
    write a history row per session on every sweep. Empty input makes no call.

    A timed-out session must end up TERMINATING however the coordinator classifies the
    failure: PENDING has no entry in the status timeout map, so the generic rules would call
    it need_retry (or give_up after repeated sweeps), not expired. Declaring TERMINATING for
    need_retry and give_up as well as expired makes the outcome independent of that
    classification.
    """

    spec: ClassVar[HandlerSpec] = HandlerSpec(
        name="sweep-sessions",
        target_statuses=frozenset({SessionStatus.PENDING}),
        target_kernels=None,
        status_transitions=StatusTransitions(
            success=None, need_retry=_TERMINATING, expired=_TERMINATING, give_up=_TERMINATING
        ),
        lock_id=LockID.LOCKID_SOKOVAN_SWEEP,
    )

    def __init__(self, repository: PendingTimeoutReader) -> None:
        self._repository = repository

    async def execute(
        self, scaling_group: str, sessions: Sequence[SessionWithKernels]
    ) -> SessionExecutionResult:
        if not sessions:
            return SessionExecutionResult()
        timed_out = await self._repository.get_pending_timeout_sessions_by_ids(
            [session.session_id for session in sessions]
        )
        expired_ids = {data.session_id for data in timed_out}
        return SessionExecutionResult(
            failures=[
                SessionTransitionInfo.of(s, PENDING_TIMEOUT_EXCEEDED)
                for s in sessions
                if s.session_id in expired_ids
            ]
        )
