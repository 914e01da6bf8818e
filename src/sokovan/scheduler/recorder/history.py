"""Building the status changes and history rows of a handler's outcome (pure).

History is what the retry policy reads back: the latest row of a session, when it belongs to
the phase being run, gives that phase's attempts so far and when the current streak began.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from sokovan.common.ids import SessionId
from sokovan.common.scheduling import SchedulingResult, TransitionStatus
from sokovan.common.status import SessionStatus
from sokovan.repositories.scheduler.types import SchedulingHistoryRecord, SessionWithKernels
from sokovan.repositories.scheduler.write_specs import (
    SchedulingHistoryCreator,
    SessionHistorySpec,
    SessionStatusChange,
    SessionStatusUpdater,
)
from sokovan.scheduler.results import SessionTransitionInfo


def with_phase_history(
    phase: str,
    sessions: Sequence[SessionWithKernels],
    records: Mapping[SessionId, SchedulingHistoryRecord],
) -> list[SessionWithKernels]:
    """`sessions` with phase_attempts / phase_started_at taken from their latest history row.

    Only a row of the same `phase` counts: the attempts are its `attempts` and the phase
    started at its `created_at` (repeated outcomes merge into one row, so that is when the
    streak began). Otherwise the session is a first attempt (0, None).
    """
    return [_with_record(session, records.get(session.session_id), phase) for session in sessions]


def _with_record(
    session: SessionWithKernels, record: SchedulingHistoryRecord | None, phase: str
) -> SessionWithKernels:
    if record is None or record.phase != phase:
        if session.phase_attempts == 0 and session.phase_started_at is None:
            return session  # as read: nothing to copy (most sessions, every cycle)
        return replace(session, phase_attempts=0, phase_started_at=None)
    return replace(session, phase_attempts=record.attempts, phase_started_at=record.created_at)


def transition_batch(
    phase: str,
    infos: Sequence[SessionTransitionInfo],
    transition: TransitionStatus | None,
    result: SchedulingResult,
) -> tuple[SessionStatusUpdater, SchedulingHistoryCreator]:
    """One status change and one history row per session of an outcome.

    Each change applies only while the session is still in the status the handler saw
    (`expected_status`), so a session moved meanwhile is left alone and gets no history.
    Without a transition (or without a session status in it) the status stays, and the
    reason still becomes status_info: users see why their session waits.
    """
    to_status = transition.session if transition is not None else None
    kernel_to_status = transition.kernel if transition is not None else None
    changes = tuple(
        SessionStatusChange(
            session_id=info.session_id,
            to_status=to_status,
            kernel_to_status=kernel_to_status,
            reason=info.reason,
            expected_status=info.from_status,
        )
        for info in infos
    )
    specs = tuple(_spec(phase, info, result, to_status or info.from_status) for info in infos)
    return SessionStatusUpdater(changes), SchedulingHistoryCreator(specs)


def skipped_history(phase: str, infos: Sequence[SessionTransitionInfo]) -> SchedulingHistoryCreator:
    """History for sessions a handler skipped: result SKIPPED, status unchanged."""
    return SchedulingHistoryCreator(
        tuple(_spec(phase, info, SchedulingResult.SKIPPED, info.from_status) for info in infos)
    )


def _spec(
    phase: str, info: SessionTransitionInfo, result: SchedulingResult, to_status: SessionStatus
) -> SessionHistorySpec:
    return SessionHistorySpec(
        session_id=info.session_id,
        phase=phase,
        result=result,
        from_status=info.from_status,
        to_status=to_status,
        message=info.detail or info.reason or "",
        error_code=info.error_code,
    )
