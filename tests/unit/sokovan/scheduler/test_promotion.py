"""The four promotion specs and the queries they make."""

from __future__ import annotations

from datetime import UTC, datetime

from sokovan.common.scheduling import KernelMatchType, ScheduleType, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.repositories.scheduler.conditions import (
    ByKernelMatch,
    ByScalingGroup,
    BySessionStatuses,
    ByStatusChangedBefore,
)
from sokovan.scheduler.promotion import (
    DETECT_TERMINATION,
    PROMOTE_TO_PREPARED,
    PROMOTE_TO_RUNNING,
    PROMOTE_TO_TERMINATED,
    PROMOTION_SPECS,
)

_FINISHED = frozenset({KernelStatus.TERMINATED, KernelStatus.CANCELLED})


def test_every_promotion_is_registered_by_its_schedule_type() -> None:
    assert PROMOTION_SPECS == {
        ScheduleType.CHECK_PULLING_PROGRESS: PROMOTE_TO_PREPARED,
        ScheduleType.CHECK_CREATING_PROGRESS: PROMOTE_TO_RUNNING,
        ScheduleType.CHECK_TERMINATING_PROGRESS: PROMOTE_TO_TERMINATED,
        ScheduleType.DETECT_KERNEL_TERMINATION: DETECT_TERMINATION,
    }


def test_promote_to_prepared_waits_for_no_kernel_before_prepared() -> None:
    spec = PROMOTE_TO_PREPARED
    assert spec.name == "promote-to-prepared"
    assert spec.target_statuses == {SessionStatus.PREPARING, SessionStatus.PULLING}
    assert spec.querier("gpu").conditions == (
        ByScalingGroup("gpu"),
        BySessionStatuses(spec.target_statuses),
        ByKernelMatch(KernelStatus.pre_prepared_statuses(), KernelMatchType.NOT_ANY),
        ByKernelMatch(KernelStatus.terminal_statuses(), KernelMatchType.NOT_ANY),
    )
    assert spec.success == TransitionStatus(SessionStatus.PREPARED, KernelStatus.PREPARED)
    assert spec.expired == TransitionStatus(SessionStatus.TERMINATING, KernelStatus.TERMINATING)


def test_promote_to_running_waits_for_no_kernel_before_running() -> None:
    spec = PROMOTE_TO_RUNNING
    assert spec.name == "promote-to-running"
    assert spec.target_statuses == {SessionStatus.CREATING}
    assert (
        ByKernelMatch(KernelStatus.pre_running_statuses(), KernelMatchType.NOT_ANY)
        in spec.querier("default").conditions
    )
    assert spec.success == TransitionStatus(SessionStatus.RUNNING, KernelStatus.RUNNING)


def test_promote_to_terminated_needs_every_kernel_finished_and_keeps_the_reason() -> None:
    spec = PROMOTE_TO_TERMINATED
    assert spec.name == "promote-to-terminated"
    assert spec.querier("default").conditions == (
        ByScalingGroup("default"),
        BySessionStatuses(frozenset({SessionStatus.TERMINATING})),
        ByKernelMatch(_FINISHED, KernelMatchType.ALL),
    )
    assert spec.success == TransitionStatus(SessionStatus.TERMINATED, None)
    assert spec.reason is None
    assert spec.expired is None


def test_detect_termination_watches_every_status_up_to_running() -> None:
    spec = DETECT_TERMINATION
    assert spec.name == "detect-termination"
    assert spec.target_statuses == SessionStatus.before_running_statuses() | {SessionStatus.RUNNING}
    assert ByKernelMatch(_FINISHED, KernelMatchType.ANY) in spec.querier("default").conditions
    assert spec.success == TransitionStatus(SessionStatus.TERMINATING, KernelStatus.TERMINATING)
    assert spec.reason == "ABNORMAL_TERMINATION"


def test_overdue_candidates_are_the_sessions_in_a_target_status_since_before_its_cutoff() -> None:
    cutoff = datetime(2026, 1, 1, tzinfo=UTC)
    querier = PROMOTE_TO_RUNNING.overdue_querier("default", {SessionStatus.CREATING: cutoff})
    assert querier.conditions == (
        ByScalingGroup("default"),
        BySessionStatuses(frozenset({SessionStatus.CREATING})),
        ByStatusChangedBefore(frozenset({(SessionStatus.CREATING, cutoff)})),
    )
