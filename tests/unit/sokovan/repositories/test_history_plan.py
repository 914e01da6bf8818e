"""plan_history: which outcomes merge into the latest row and which start a new one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sokovan.common.ids import SessionId
from sokovan.common.scheduling import SchedulingResult
from sokovan.common.status import SessionStatus
from sokovan.repositories.scheduler.write_history_plan import (
    HistoryHead,
    HistoryIncrement,
    plan_history,
)
from sokovan.repositories.scheduler.write_specs import SessionHistorySpec

NOW = datetime(2026, 3, 1, tzinfo=UTC)
S1 = SessionId(uuid.UUID(int=1))
S2 = SessionId(uuid.UUID(int=2))
ROW = uuid.UUID(int=100)


def spec(
    session_id: SessionId = S1,
    result: SchedulingResult = SchedulingResult.NEED_RETRY,
    message: str = "m",
) -> SessionHistorySpec:
    return SessionHistorySpec(
        session_id, "schedule-sessions", result, SessionStatus.PENDING, None, message
    )


def head(session_id: SessionId = S1) -> dict[SessionId, HistoryHead]:
    return {
        session_id: HistoryHead(ROW, "schedule-sessions", SchedulingResult.NEED_RETRY, None, None)
    }


def test_a_matching_head_is_incremented_once_per_spec_with_the_last_message() -> None:
    plan = plan_history(head(), [spec(message="1"), spec(message="2")], NOW)

    assert plan.increments == [HistoryIncrement(ROW, 2, "2")]
    assert plan.inserts == []


def test_a_different_outcome_is_inserted_and_later_repeats_merge_into_it() -> None:
    failure = SchedulingResult.FAILURE

    plan = plan_history(head(), [spec(result=failure), spec(result=failure, message="x")], NOW)

    assert plan.increments == []
    [row] = plan.inserts
    assert (row["result"], row["attempts"], row["message"]) == (failure, 2, "x")
    assert row["created_at"] == row["updated_at"] == NOW


def test_sessions_without_history_start_at_one_attempt() -> None:
    plan = plan_history({}, [spec(S1), spec(S2)], NOW)

    assert sorted((row["session_id"], row["attempts"]) for row in plan.inserts) == [
        (S1, 1),
        (S2, 1),
    ]


def test_a_return_to_an_earlier_outcome_is_a_new_row() -> None:
    plan = plan_history(head(), [spec(result=SchedulingResult.FAILURE), spec()], NOW)

    assert [row["result"] for row in plan.inserts] == [
        SchedulingResult.FAILURE,
        SchedulingResult.NEED_RETRY,
    ]
    assert plan.increments == []
