"""SC-CO-008 … SC-CO-010, SC-CO-019, SC-CO-025: applying an outcome.

Hooks → one status update with its history → kernel reset → one event batch → post-processors.
"""

from __future__ import annotations

from sokovan.common.clock import ManualClock
from sokovan.common.scheduling import SchedulingResult, TransitionStatus
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.config import ManagerConfig
from sokovan.infra.events.base import SchedulingBroadcastEvent
from sokovan.repositories.scheduler.conditions import BySessionIds, BySessionStatuses
from sokovan.repositories.scheduler.write_specs import SessionHistorySpec, SessionStatusChange
from sokovan.scheduler.coordinator import ScheduleCoordinator
from sokovan.scheduler.hooks.registry import HookRegistry
from sokovan.scheduler.post_processors.base import PostProcessContext
from sokovan.scheduler.results import SessionExecutionResult, SessionTransitionInfo
from unit.sokovan.scheduler.coordinator_testkit import (
    FakeKernelStateEngine,
    FakeRepository,
    RecordingEventProducer,
    RecordingLockFactory,
    RecordingPostProcessor,
    build_world,
    session,
    session_info,
)

_SCHEDULED = TransitionStatus(SessionStatus.SCHEDULED, KernelStatus.SCHEDULED)


def infos(*statuses: SessionStatus, reason: str | None = "why") -> list[SessionTransitionInfo]:
    return [SessionTransitionInfo.of(session_info(status), reason) for status in statuses]


async def test_sc_co_008_one_update_with_history_per_batch() -> None:
    world = build_world(repository=FakeRepository(update_count=2))
    s1, s2 = infos(SessionStatus.PENDING, SessionStatus.PENDING, reason="scheduled")

    await world.coordinator._apply_transition(
        "schedule-sessions", [s1, s2], _SCHEDULED, SchedulingResult.SUCCESS
    )

    ((updater, creator),) = world.repository.called("update_with_history")
    assert updater.changes == tuple(
        SessionStatusChange(
            session_id=info.session_id,
            to_status=SessionStatus.SCHEDULED,
            kernel_to_status=KernelStatus.SCHEDULED,
            reason="scheduled",
            expected_status=SessionStatus.PENDING,
        )
        for info in (s1, s2)
    )
    assert creator.specs == tuple(
        SessionHistorySpec(
            session_id=info.session_id,
            phase="schedule-sessions",
            result=SchedulingResult.SUCCESS,
            from_status=SessionStatus.PENDING,
            to_status=SessionStatus.SCHEDULED,
            message="scheduled",
        )
        for info in (s1, s2)
    )


async def test_sc_co_009_kernels_going_to_pending_are_reset_by_the_engine() -> None:
    world = build_world()
    (s1,) = infos(SessionStatus.SCHEDULED)

    await world.coordinator._apply_transition(
        "check-precondition",
        [s1],
        TransitionStatus(SessionStatus.PENDING, KernelStatus.PENDING),
        SchedulingResult.EXPIRED,
    )

    assert world.engine.resets == [([s1.session_id], "EXCEEDED_MAX_RETRIES")]


async def test_other_kernel_targets_need_no_reset() -> None:
    world = build_world()

    await world.coordinator._apply_transition(
        "schedule-sessions", infos(SessionStatus.PENDING), _SCHEDULED, SchedulingResult.SUCCESS
    )

    assert world.engine.resets == []


async def test_sc_co_010_one_event_batch_for_the_transitioned_sessions() -> None:
    world = build_world()
    s1, s2 = infos(SessionStatus.CREATING, SessionStatus.CREATING, reason=None)

    await world.coordinator._broadcast_transition_events([s1, s2], SessionStatus.RUNNING)

    assert world.events.batches == [
        [
            SchedulingBroadcastEvent(s1.session_id, s1.creation_id, "RUNNING"),
            SchedulingBroadcastEvent(s2.session_id, s2.creation_id, "RUNNING"),
        ]
    ]


async def test_a_transition_broadcasts_and_post_processes_after_the_update() -> None:
    world = build_world()
    batch = infos(SessionStatus.PENDING, SessionStatus.PENDING, reason="scheduled")

    await world.coordinator._apply_transition(
        "schedule-sessions", batch, _SCHEDULED, SchedulingResult.SUCCESS
    )

    assert [[e.session_id for e in b] for b in world.events.batches] == [
        [i.session_id for i in batch]
    ]
    assert world.post_processor.contexts == [
        PostProcessContext(SessionExecutionResult(successes=batch), SessionStatus.SCHEDULED)
    ]


async def test_failures_without_a_transition_get_history_and_reason_only() -> None:
    world = build_world()
    batch = infos(SessionStatus.PENDING, reason="no-available-agent")

    await world.coordinator._apply_transition(
        "schedule-sessions", batch, None, SchedulingResult.NEED_RETRY
    )

    ((updater, creator),) = world.repository.called("update_with_history")
    assert updater.changes[0].to_status is None
    assert updater.changes[0].kernel_to_status is None
    assert updater.changes[0].reason == "no-available-agent"
    assert creator.specs[0].result is SchedulingResult.NEED_RETRY
    assert creator.specs[0].to_status is SessionStatus.PENDING
    assert world.events.batches == []
    assert world.post_processor.contexts == [
        PostProcessContext(SessionExecutionResult(failures=batch), None)
    ]


async def test_sessions_that_moved_meanwhile_get_no_event_or_reset() -> None:
    arrived, moved = infos(SessionStatus.SCHEDULED, SessionStatus.SCHEDULED)
    repository = FakeRepository(update_count=1)
    repository.arrived = [session_info(SessionStatus.PENDING, session_id=arrived.session_id)]
    world = build_world(repository=repository)

    await world.coordinator._apply_transition(
        "check-precondition",
        [arrived, moved],
        TransitionStatus(SessionStatus.PENDING, KernelStatus.PENDING),
        SchedulingResult.EXPIRED,
    )

    (querier,) = repository.called("search_sessions_for_handler")
    assert querier.conditions == (
        BySessionIds(frozenset({arrived.session_id, moved.session_id})),
        BySessionStatuses(frozenset({SessionStatus.PENDING})),
    )
    assert world.engine.resets == [([arrived.session_id], "EXCEEDED_MAX_RETRIES")]
    assert [[e.session_id for e in b] for b in world.events.batches] == [[arrived.session_id]]


async def test_sc_co_019_skipped_sessions_are_recorded_without_status_change() -> None:
    world = build_world()
    s1 = SessionTransitionInfo.of(session(SessionStatus.PENDING), "blocked")

    await world.coordinator._record_skipped_history("schedule-sessions", [s1])

    (creator,) = world.repository.called("create_scheduling_history")
    (spec,) = creator.specs
    assert spec.result is SchedulingResult.SKIPPED
    assert spec.from_status == spec.to_status == SessionStatus.PENDING
    assert spec.message == "blocked"
    assert world.repository.called("update_with_history") == []


async def test_sc_co_025_every_post_processor_is_called() -> None:
    marking, invalidation = RecordingPostProcessor(), RecordingPostProcessor()
    coordinator = ScheduleCoordinator(
        repository=FakeRepository(),
        lifecycle_handlers={},
        kernel_handlers={},
        lock_factory=RecordingLockFactory(),
        config=ManagerConfig(),
        event_producer=RecordingEventProducer(),
        hook_registry=HookRegistry(),
        kernel_state_engine=FakeKernelStateEngine(),  # type: ignore[arg-type]
        post_processors=[marking, invalidation],
        clock=ManualClock(),
    )
    result = SessionExecutionResult(successes=infos(SessionStatus.PENDING))

    await coordinator._run_post_processors(result, SessionStatus.SCHEDULED)

    expected = [PostProcessContext(result, SessionStatus.SCHEDULED)]
    assert marking.contexts == expected
    assert invalidation.contexts == expected
