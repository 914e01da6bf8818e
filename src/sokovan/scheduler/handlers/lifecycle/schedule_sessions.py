"""SCHEDULE: PENDING sessions are placed on agents by the provisioner."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Final

from sokovan.common.scheduling import StatusTransitions, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler.snapshot_types import PendingSession, SchedulingData
from sokovan.repositories.scheduler.types import SessionWithKernels
from sokovan.scheduler.handlers.base import HandlerSpec, SessionLifecycleHandler
from sokovan.scheduler.handlers.ports import (
    ScheduleOutcome,
    SchedulingDataReader,
    SessionProvisionerPort,
)
from sokovan.scheduler.results import SessionExecutionResult, SessionTransitionInfo

SCHEDULED: Final = "scheduled"
NO_SCHEDULING_DATA: Final = "no-scheduling-data"
NOT_SCHEDULED_THIS_CYCLE: Final = "not-scheduled-this-cycle"


class ScheduleSessionsLifecycleHandler(SessionLifecycleHandler):
    """Runs one placement cycle for the scaling group and reports what it placed.

    - Empty input: no call at all.
    - No scheduling data (group gone or inactive, or nothing PENDING any more): every input
      session is skipped with "no-scheduling-data" and the provisioner is not called.
    - Otherwise the provisioner places (and commits) what fits. Placed sessions are
      successes, in placement order; input sessions it did not place (priority, quota or
      capacity) are skipped with "not-scheduled-this-cycle", in input order. A placed session
      that was not in the input (submitted after the coordinator's query but read into the
      snapshot) is still a success, described from the snapshot, so that its new status gets
      its history, event and cache invalidation like the others.

    Nothing is ever a failure here: failing to place is the normal state of a queue. Errors
    of the repository or provisioner propagate to the coordinator.
    """

    spec: ClassVar[HandlerSpec] = HandlerSpec(
        name="schedule-sessions",
        target_statuses=frozenset({SessionStatus.PENDING}),
        target_kernels=None,
        status_transitions=StatusTransitions(
            success=TransitionStatus(SessionStatus.SCHEDULED, KernelStatus.SCHEDULED),
            expired=TransitionStatus(SessionStatus.TERMINATING, KernelStatus.TERMINATING),
            give_up=TransitionStatus(SessionStatus.DEPRIORITIZING, None),
        ),
        lock_id=LockID.LOCKID_SOKOVAN_TARGET_PENDING,
    )

    def __init__(
        self, repository: SchedulingDataReader, provisioner: SessionProvisionerPort
    ) -> None:
        self._repository = repository
        self._provisioner = provisioner

    async def execute(
        self, scaling_group: str, sessions: Sequence[SessionWithKernels]
    ) -> SessionExecutionResult:
        if not sessions:
            return SessionExecutionResult()
        data = await self._repository.get_scheduling_data(scaling_group)
        if data is None:
            return SessionExecutionResult(
                skipped=[SessionTransitionInfo.of(s, NO_SCHEDULING_DATA) for s in sessions]
            )
        outcome = await self._provisioner.schedule_scaling_group(scaling_group, data)
        return _classify(sessions, data, outcome)


def _classify(
    sessions: Sequence[SessionWithKernels], data: SchedulingData, outcome: ScheduleOutcome
) -> SessionExecutionResult:
    described = {p.session_id: _from_snapshot(p) for p in data.pending_sessions}
    described.update({s.session_id: SessionTransitionInfo.of(s, SCHEDULED) for s in sessions})
    scheduled_ids = [placed.session_id for placed in outcome.scheduled_sessions]
    placed = set(scheduled_ids)
    # The reason stays the seed's code; why each session waits travels as the detail.
    why = {waiting.session_id: waiting for waiting in outcome.unscheduled_sessions}
    return SessionExecutionResult(
        successes=[described[sid] for sid in scheduled_ids],
        skipped=[
            SessionTransitionInfo.of(
                s,
                NOT_SCHEDULED_THIS_CYCLE,
                detail=why[s.session_id].reason if s.session_id in why else None,
                error_code=why[s.session_id].code if s.session_id in why else None,
            )
            for s in sessions
            if s.session_id not in placed
        ],
    )


def _from_snapshot(session: PendingSession) -> SessionTransitionInfo:
    # The snapshot holds PENDING sessions only.
    return SessionTransitionInfo(
        session_id=session.session_id,
        from_status=SessionStatus.PENDING,
        reason=SCHEDULED,
        creation_id=session.creation_id,
        access_key=session.access_key,
    )
