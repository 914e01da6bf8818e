"""SC-CO-001 … SC-CO-004: the coordinator's failure classification (give_up > expired > retry)."""

from __future__ import annotations

from sokovan.common.status import SessionStatus
from unit.sokovan.scheduler.coordinator_testkit import build_world, failure, minutes_ago, session


def test_sc_co_001_failure_at_max_retries_is_give_up() -> None:
    world = build_world()
    s1 = session(SessionStatus.PENDING, phase_attempts=5)

    result = world.coordinator._classify_failures([failure(s1)], [s1])

    assert [f.session_id for f in result.give_up] == [s1.session_id]
    assert result.expired == []
    assert result.need_retry == []


def test_sc_co_002_failure_past_status_timeout_is_expired() -> None:
    world = build_world()
    s1 = session(SessionStatus.PREPARING, phase_attempts=1, phase_started_at=minutes_ago(16))

    result = world.coordinator._classify_failures([failure(s1)], [s1])

    assert [f.session_id for f in result.expired] == [s1.session_id]
    assert result.give_up == []
    assert result.need_retry == []


def test_sc_co_003_failure_within_limits_is_need_retry() -> None:
    world = build_world()
    s1 = session(SessionStatus.PREPARING, phase_attempts=1, phase_started_at=minutes_ago(5))

    result = world.coordinator._classify_failures([failure(s1)], [s1])

    assert [f.session_id for f in result.need_retry] == [s1.session_id]
    assert result.give_up == []
    assert result.expired == []


def test_sc_co_004_give_up_takes_priority_over_expired() -> None:
    world = build_world()
    s1 = session(SessionStatus.PREPARING, phase_attempts=5, phase_started_at=minutes_ago(20))

    result = world.coordinator._classify_failures([failure(s1)], [s1])

    assert [f.session_id for f in result.give_up] == [s1.session_id]
    assert result.expired == []
