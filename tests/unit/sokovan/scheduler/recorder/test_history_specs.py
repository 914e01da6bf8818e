"""Building status changes and history rows from outcomes, and phase history."""

from __future__ import annotations

from sokovan.common.scheduling import SchedulingResult, TransitionStatus
from sokovan.common.status import SessionStatus
from sokovan.repositories.scheduler.write_specs import SessionHistorySpec, SessionStatusChange
from sokovan.scheduler.recorder import skipped_history, transition_batch, with_phase_history
from sokovan.scheduler.results import SessionTransitionInfo
from unit.sokovan.scheduler.coordinator_testkit import history, minutes_ago, session


def test_phase_history_is_taken_only_from_the_same_phase() -> None:
    same, other, fresh = session(), session(), session(phase_attempts=3)
    started = minutes_ago(7)
    records = {
        same.session_id: history(same.session_id, "start-sessions", 4, started),
        other.session_id: history(other.session_id, "schedule-sessions", 4),
    }

    result = with_phase_history("start-sessions", [same, other, fresh], records)

    assert [(s.phase_attempts, s.phase_started_at) for s in result] == [
        (4, started),
        (0, None),
        (0, None),
    ]
    assert [s.session_id for s in result] == [s.session_id for s in (same, other, fresh)]


def test_a_transition_batch_guards_on_the_status_the_handler_saw() -> None:
    info = SessionTransitionInfo.of(session(SessionStatus.PREPARED), "triggered-by-scheduler")

    updater, creator = transition_batch(
        "start-sessions",
        [info],
        TransitionStatus(SessionStatus.CREATING, None),
        SchedulingResult.SUCCESS,
    )

    assert updater.changes == (
        SessionStatusChange(
            info.session_id,
            SessionStatus.CREATING,
            None,
            "triggered-by-scheduler",
            expected_status=SessionStatus.PREPARED,
        ),
    )
    assert creator.specs == (
        SessionHistorySpec(
            info.session_id,
            "start-sessions",
            SchedulingResult.SUCCESS,
            SessionStatus.PREPARED,
            SessionStatus.CREATING,
            "triggered-by-scheduler",
        ),
    )


def test_a_transition_keeping_the_session_status_records_it_unchanged() -> None:
    info = SessionTransitionInfo.of(session(SessionStatus.TERMINATING), None)

    updater, creator = transition_batch(
        "terminate-sessions", [info], None, SchedulingResult.NEED_RETRY
    )

    assert updater.changes[0].to_status is None
    assert creator.specs[0].to_status is SessionStatus.TERMINATING
    assert creator.specs[0].message == ""


def test_skipped_history_keeps_the_status() -> None:
    info = SessionTransitionInfo.of(session(SessionStatus.PENDING), "not-scheduled-this-cycle")

    (spec,) = skipped_history("schedule-sessions", [info]).specs

    assert (spec.result, spec.from_status, spec.to_status, spec.message) == (
        SchedulingResult.SKIPPED,
        SessionStatus.PENDING,
        SessionStatus.PENDING,
        "not-scheduled-this-cycle",
    )
