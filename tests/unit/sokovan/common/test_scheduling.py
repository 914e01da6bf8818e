"""Scheduler vocabulary: schedule types, kernel matching, transitions."""

from __future__ import annotations

import dataclasses

import pytest

from sokovan.common.scheduling import (
    SESSION_PRIORITY_DEFAULT,
    SESSION_PRIORITY_MAX,
    SESSION_PRIORITY_MIN,
    KernelMatchType,
    ScheduleType,
    StatusTransitions,
    TransitionStatus,
)
from sokovan.common.status import KernelStatus, SessionStatus


def test_schedule_type_members() -> None:
    assert {member.name for member in ScheduleType} == {
        "SCHEDULE",
        "DEPRIORITIZE",
        "SWEEP",
        "CHECK_PRECONDITION",
        "START",
        "TERMINATE",
        "CHECK_PULLING_PROGRESS",
        "CHECK_CREATING_PROGRESS",
        "CHECK_TERMINATING_PROGRESS",
        "SWEEP_STALE_KERNELS",
        "DETECT_KERNEL_TERMINATION",
    }


def test_schedule_type_values_are_lower_case_names() -> None:
    # The values key the hint store ("schedule", "check_pulling_progress", …).
    assert all(member.value == member.name.lower() for member in ScheduleType)


def test_kernel_match_type_members() -> None:
    assert [(m.name, m.value) for m in KernelMatchType] == [
        ("ALL", "ALL"),
        ("ANY", "ANY"),
        ("NOT_ANY", "NOT_ANY"),
    ]


def test_transition_status_is_frozen_and_compares_by_value() -> None:
    transition = TransitionStatus(session=SessionStatus.SCHEDULED, kernel=KernelStatus.SCHEDULED)
    assert transition == TransitionStatus(SessionStatus.SCHEDULED, KernelStatus.SCHEDULED)
    assert hash(transition) == hash(
        TransitionStatus(SessionStatus.SCHEDULED, KernelStatus.SCHEDULED)
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        transition.session = SessionStatus.RUNNING  # type: ignore[misc]


def test_transition_status_may_leave_the_kernel_alone() -> None:
    give_up = TransitionStatus(session=SessionStatus.DEPRIORITIZING, kernel=None)
    assert give_up.kernel is None


def test_status_transitions_default_to_no_transition_and_are_frozen() -> None:
    transitions = StatusTransitions(
        success=TransitionStatus(SessionStatus.PREPARING, KernelStatus.PREPARING),
        expired=TransitionStatus(SessionStatus.PENDING, KernelStatus.PENDING),
    )
    assert transitions.need_retry is None
    assert transitions.give_up is None
    assert StatusTransitions() == StatusTransitions(None, None, None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        transitions.give_up = None  # type: ignore[misc]


def test_priority_bounds() -> None:
    assert SESSION_PRIORITY_MIN <= SESSION_PRIORITY_DEFAULT <= SESSION_PRIORITY_MAX
