"""SC-CO-011 … SC-CO-014, SC-CO-017, SC-CO-018: the lifecycle loop, its lock and history."""

from __future__ import annotations

import asyncio
import logging

import pytest

from sokovan.common.scheduling import (
    KernelMatchType,
    ScheduleType,
    SchedulingResult,
    StatusTransitions,
    TransitionStatus,
)
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.infra.locks.base import LockID
from sokovan.repositories.scheduler.conditions import (
    ByKernelMatch,
    ByScalingGroup,
    BySessionStatuses,
)
from sokovan.repositories.scheduler.types import SessionWithKernels
from sokovan.scheduler.handlers.base import HandlerSpec, KernelMatch
from sokovan.scheduler.results import SessionExecutionResult, SessionTransitionInfo
from unit.sokovan.scheduler.coordinator_testkit import (
    FakeRepository,
    RecordingLockFactory,
    ScriptedHandler,
    build_world,
    handler_spec,
    history,
    minutes_ago,
    session,
)

_SCHEDULE = StatusTransitions(
    success=TransitionStatus(SessionStatus.SCHEDULED, KernelStatus.SCHEDULED),
    expired=TransitionStatus(SessionStatus.TERMINATING, KernelStatus.TERMINATING),
    give_up=TransitionStatus(SessionStatus.DEPRIORITIZING, None),
)


def succeed(*sessions: SessionWithKernels) -> SessionExecutionResult:
    return SessionExecutionResult(
        successes=[SessionTransitionInfo.of(s, "scheduled") for s in sessions]
    )


async def test_sc_co_011_complete_lifecycle_flow_over_two_scaling_groups() -> None:
    s1, s2 = session(scaling_group="default"), session(scaling_group="gpu")
    locks = RecordingLockFactory()
    handler = ScriptedHandler(
        handler_spec(transitions=_SCHEDULE),
        {"default": succeed(s1), "gpu": succeed(s2)},
        lock_probe=locks,
    )
    repository = FakeRepository(
        scaling_groups=["default", "gpu"], sessions={"default": [s1], "gpu": [s2]}
    )
    world = build_world(
        repository=repository, lifecycle={ScheduleType.SCHEDULE: handler}, locks=locks
    )

    assert await world.coordinator.process_lifecycle_schedule(ScheduleType.SCHEDULE) is True

    assert len(locks.calls) == 1
    assert locks.releases == 1
    assert not locks.held
    assert sorted(group for group, _ in handler.calls) == ["default", "gpu"]
    assert handler.ran_under_lock == [True, True]
    updated = {
        change.session_id: change.to_status
        for updater, _ in repository.called("update_with_history")
        for change in updater.changes
    }
    assert updated == {
        s1.session_id: SessionStatus.SCHEDULED,
        s2.session_id: SessionStatus.SCHEDULED,
    }


async def test_sc_co_012_lock_taken_with_the_configured_lifetime() -> None:
    handler = ScriptedHandler(handler_spec(lock_id=LockID.LOCKID_SOKOVAN_TARGET_PENDING))
    world = build_world(lifecycle={ScheduleType.SCHEDULE: handler})

    await world.coordinator._process_lifecycle_handler_schedule(handler)

    assert world.locks.calls == [(LockID.LOCKID_SOKOVAN_TARGET_PENDING, 30.0)]


async def test_sc_co_013_no_lock_for_a_handler_without_lock_id() -> None:
    handler = ScriptedHandler(handler_spec(lock_id=None))
    world = build_world(lifecycle={ScheduleType.SCHEDULE: handler})

    await world.coordinator._process_lifecycle_handler_schedule(handler)

    assert world.locks.calls == []


async def test_sc_co_014_a_failing_scaling_group_is_logged_and_isolated(
    caplog: pytest.LogCaptureFixture,
) -> None:
    s1 = session(scaling_group="default")
    handler = ScriptedHandler(handler_spec(transitions=_SCHEDULE), {"default": succeed(s1)})
    repository = FakeRepository(
        scaling_groups=["default", "gpu"],
        sessions={"default": [s1]},
        failing_groups={"gpu": Exception("DB error")},
    )
    world = build_world(repository=repository, lifecycle={ScheduleType.SCHEDULE: handler})

    with caplog.at_level(logging.ERROR):
        done = await world.coordinator.process_lifecycle_schedule(ScheduleType.SCHEDULE)

    assert done is True
    assert [group for group, _ in handler.calls] == ["default"]
    assert len(repository.called("update_with_history")) == 1
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "gpu" in record.getMessage()
    assert str(record.exc_info[1]) == "DB error"  # type: ignore[index]


async def test_sc_co_014_the_only_scaling_group_failing_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    repository = FakeRepository(
        scaling_groups=["gpu"], failing_groups={"gpu": Exception("DB error")}
    )
    handler = ScriptedHandler(handler_spec(transitions=_SCHEDULE))
    world = build_world(repository=repository, lifecycle={ScheduleType.SCHEDULE: handler})

    with caplog.at_level(logging.ERROR):
        done = await world.coordinator.process_lifecycle_schedule(ScheduleType.SCHEDULE)

    assert done is True
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "gpu" in record.getMessage()


async def test_a_single_scaling_group_is_processed_without_giving_up_the_loop() -> None:
    s1 = session(scaling_group="default")
    handler = ScriptedHandler(handler_spec(transitions=_SCHEDULE), {"default": succeed(s1)})
    repository = FakeRepository(sessions={"default": [s1]})
    world = build_world(repository=repository, lifecycle={ScheduleType.SCHEDULE: handler})
    others_ran = False

    async def other() -> None:
        nonlocal others_ran
        others_ran = True

    pending = asyncio.ensure_future(other())
    await world.coordinator.process_lifecycle_schedule(ScheduleType.SCHEDULE)

    assert [group for group, _ in handler.calls] == ["default"]
    assert not others_ran  # the whole step ran in this task's turn
    await pending


async def test_sc_co_017_phase_attempts_come_from_the_matching_history() -> None:
    s1 = session()
    started = minutes_ago(3)
    handler = ScriptedHandler(handler_spec())
    repository = FakeRepository(
        sessions={"default": [s1]},
        histories={s1.session_id: history(s1.session_id, "schedule-sessions", 2, started)},
    )
    world = build_world(repository=repository, lifecycle={ScheduleType.SCHEDULE: handler})

    await world.coordinator._process_scaling_group(handler, "default")

    assert repository.called("get_last_session_histories") == [[s1.session_id]]
    ((_, (seen,)),) = handler.calls
    assert seen.phase_attempts == 2
    assert seen.phase_started_at == started


async def test_sc_co_018_phase_attempts_reset_when_the_history_phase_differs() -> None:
    s1 = session()
    handler = ScriptedHandler(handler_spec())
    repository = FakeRepository(
        sessions={"default": [s1]},
        histories={s1.session_id: history(s1.session_id, "start-sessions", 5)},
    )
    world = build_world(repository=repository, lifecycle={ScheduleType.SCHEDULE: handler})

    await world.coordinator._process_scaling_group(handler, "default")

    ((_, (seen,)),) = handler.calls
    assert seen.phase_attempts == 0
    assert seen.phase_started_at is None


async def test_targets_are_the_spec_statuses_of_the_group_with_its_kernel_match() -> None:
    match = KernelMatch(frozenset({KernelStatus.RUNNING}), KernelMatchType.ALL)
    spec = HandlerSpec(
        name="probe",
        target_statuses=frozenset({SessionStatus.RUNNING}),
        target_kernels=match,
        status_transitions=StatusTransitions(),
        lock_id=None,
    )
    handler = ScriptedHandler(spec)
    world = build_world(lifecycle={ScheduleType.SCHEDULE: handler})

    await world.coordinator._process_scaling_group(handler, "default")

    (querier,) = world.repository.called("search_sessions_with_kernels_for_handler")
    assert querier.conditions == (
        ByScalingGroup("default"),
        BySessionStatuses(frozenset({SessionStatus.RUNNING})),
        ByKernelMatch(match.statuses, KernelMatchType.ALL),
    )
    assert handler.calls == []  # no targets: the handler is not bothered


async def test_a_raising_handler_fails_all_its_targets_with_the_error_text() -> None:
    s1, s2 = session(SessionStatus.SCHEDULED), session(SessionStatus.SCHEDULED)
    spec = handler_spec(
        "check-precondition",
        targets=frozenset({SessionStatus.SCHEDULED}),
        transitions=StatusTransitions(
            success=TransitionStatus(SessionStatus.PREPARING, KernelStatus.PREPARING),
            expired=TransitionStatus(SessionStatus.PENDING, KernelStatus.PENDING),
        ),
        lock_id=LockID.LOCKID_SOKOVAN_TARGET_SCHEDULED,
    )
    handler = ScriptedHandler(spec, {"default": ConnectionError("Connection failed")})
    world = build_world(
        repository=FakeRepository(sessions={"default": [s1, s2]}),
        lifecycle={ScheduleType.CHECK_PRECONDITION: handler},
    )

    await world.coordinator.process_lifecycle_schedule(ScheduleType.CHECK_PRECONDITION)

    # check-precondition declares only `expired`: the failures take that transition at once.
    ((updater, creator),) = world.repository.called("update_with_history")
    assert {(c.session_id, c.to_status, c.reason) for c in updater.changes} == {
        (s1.session_id, SessionStatus.PENDING, "Connection failed"),
        (s2.session_id, SessionStatus.PENDING, "Connection failed"),
    }
    assert {spec.result for spec in creator.specs} == {SchedulingResult.EXPIRED}
    assert world.engine.resets == [([s1.session_id, s2.session_id], "EXCEEDED_MAX_RETRIES")]


async def test_outcomes_are_applied_by_class_and_skips_recorded() -> None:
    done, retry, gave_up, waiting = session(), session(), session(), session()
    result = SessionExecutionResult(
        successes=[SessionTransitionInfo.of(done, "scheduled")],
        failures=[
            SessionTransitionInfo.of(retry, "no-available-agent"),
            SessionTransitionInfo.of(gave_up, "no-available-agent"),
        ],
        skipped=[SessionTransitionInfo.of(waiting, "not-scheduled-this-cycle")],
    )
    handler = ScriptedHandler(handler_spec(transitions=_SCHEDULE), {"default": result})
    repository = FakeRepository(
        sessions={"default": [done, retry, gave_up, waiting]},
        histories={gave_up.session_id: history(gave_up.session_id, "schedule-sessions", 5)},
    )
    world = build_world(repository=repository, lifecycle={ScheduleType.SCHEDULE: handler})

    await world.coordinator.process_lifecycle_schedule(ScheduleType.SCHEDULE)

    applied = [
        [(c.session_id, c.to_status) for c in updater.changes]
        for updater, _ in repository.called("update_with_history")
    ]
    assert applied == [
        [(done.session_id, SessionStatus.SCHEDULED)],
        [(gave_up.session_id, SessionStatus.DEPRIORITIZING)],
        [(retry.session_id, None)],
    ]
    (skipped,) = repository.called("create_scheduling_history")
    assert [s.session_id for s in skipped.specs] == [waiting.session_id]


async def test_an_unregistered_schedule_type_does_nothing() -> None:
    world = build_world()

    assert await world.coordinator.process_lifecycle_schedule(ScheduleType.START) is False
    assert world.repository.calls == []
    assert world.locks.calls == []
