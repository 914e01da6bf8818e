"""FailureClassifier: attempts, time in status, and the expired-only rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sokovan.common.clock import ManualClock
from sokovan.common.scheduling import StatusTransitions, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.scheduler.classification import (
    FailureClassification,
    FailureClassifier,
    timeout_reason,
)
from unit.sokovan.scheduler.coordinator_testkit import (
    NOW,
    failure,
    minutes_ago,
    session,
    session_info,
)

_PENDING = TransitionStatus(SessionStatus.PENDING, KernelStatus.PENDING)
_TERMINATING = TransitionStatus(SessionStatus.TERMINATING, KernelStatus.TERMINATING)
_TERMINATED = TransitionStatus(SessionStatus.TERMINATED, KernelStatus.TERMINATED)


def classifier() -> FailureClassifier:
    return FailureClassifier(ManualClock(NOW))


def test_without_phase_history_the_age_counts_from_the_last_status_change() -> None:
    old = session(SessionStatus.CREATING, status_changed=minutes_ago(11))
    young = session(SessionStatus.CREATING, status_changed=minutes_ago(9))

    result = classifier().classify([failure(old), failure(young)], [old, young])

    assert [f.session_id for f in result.expired] == [old.session_id]
    assert [f.session_id for f in result.need_retry] == [young.session_id]


def test_exactly_at_the_timeout_is_not_yet_expired() -> None:
    s1 = session(SessionStatus.PULLING, phase_started_at=minutes_ago(15))

    assert classifier().classify([failure(s1)], [s1]).need_retry == [failure(s1)]


def test_statuses_without_a_timeout_never_expire() -> None:
    s1 = session(SessionStatus.PENDING, phase_started_at=NOW - timedelta(days=30))

    assert classifier().classify([failure(s1)], [s1]).need_retry == [failure(s1)]


def test_a_failure_of_an_unknown_session_is_need_retry() -> None:
    known = session(SessionStatus.PENDING, phase_attempts=9)
    stranger = session(SessionStatus.PENDING, phase_attempts=9)

    result = classifier().classify([failure(stranger)], [known])

    assert result.need_retry == [failure(stranger)]


def test_attempts_below_the_maximum_do_not_give_up() -> None:
    s1 = session(SessionStatus.PENDING, phase_attempts=4)

    assert classifier().classify([failure(s1)], [s1]).give_up == []


@pytest.mark.parametrize(
    "transitions",
    [
        pytest.param(StatusTransitions(success=_PENDING, expired=_PENDING), id="expired-only"),
        pytest.param(
            StatusTransitions(need_retry=_TERMINATING, expired=_TERMINATING, give_up=_TERMINATING),
            id="all-identical",
        ),
    ],
)
def test_a_handler_declaring_only_expired_has_all_failures_expired(
    transitions: StatusTransitions,
) -> None:
    a, b, c = (failure(session()) for _ in range(3))
    classified = FailureClassification(give_up=[a], expired=[b], need_retry=[c])

    assert classified.under(transitions) == FailureClassification(expired=[a, b, c])


@pytest.mark.parametrize(
    "transitions",
    [
        pytest.param(StatusTransitions(expired=_TERMINATED, give_up=_TERMINATED), id="terminate"),
        pytest.param(
            StatusTransitions(
                expired=_TERMINATING,
                give_up=TransitionStatus(SessionStatus.DEPRIORITIZING, None),
            ),
            id="schedule",
        ),
        pytest.param(StatusTransitions(success=_PENDING), id="no-expired"),
    ],
)
def test_other_handlers_keep_the_classification(transitions: StatusTransitions) -> None:
    a, b = failure(session()), failure(session())
    classified = FailureClassification(give_up=[a], need_retry=[b])

    assert classified.under(transitions) is classified


def test_overdue_lists_sessions_past_their_status_timeout_with_a_timeout_reason() -> None:
    late = session_info(SessionStatus.PULLING, status_changed=minutes_ago(16))
    on_time = session_info(SessionStatus.PULLING, status_changed=minutes_ago(14))

    overdue = classifier().overdue([late, on_time])

    assert [(o.session_id, o.reason) for o in overdue] == [
        (late.session_id, "PULLING_TIMEOUT_EXCEEDED")
    ]


def test_timeout_reason_names_the_status() -> None:
    assert timeout_reason(SessionStatus.CREATING) == "CREATING_TIMEOUT_EXCEEDED"


def test_expiry_cutoffs_are_now_minus_each_status_timeout() -> None:
    classifier = FailureClassifier(
        ManualClock(NOW),
        timeouts={SessionStatus.PREPARING: timedelta(minutes=15)},
    )
    cutoffs = classifier.expiry_cutoffs([SessionStatus.PREPARING, SessionStatus.RUNNING])
    # RUNNING has no timeout, so no cutoff; a session in PREPARING since before NOW − 15 min is
    # exactly what `is_expired` calls expired.
    assert cutoffs == {SessionStatus.PREPARING: NOW - timedelta(minutes=15)}
    before = cutoffs[SessionStatus.PREPARING] - timedelta(microseconds=1)
    assert classifier.is_expired(SessionStatus.PREPARING, before)
    assert not classifier.is_expired(SessionStatus.PREPARING, cutoffs[SessionStatus.PREPARING])
