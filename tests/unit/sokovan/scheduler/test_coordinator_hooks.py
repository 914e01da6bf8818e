"""SC-CO-005 … SC-CO-007: status hooks before a transition."""

from __future__ import annotations

import logging

import pytest

from sokovan.common.scheduling import SchedulingResult, TransitionStatus
from sokovan.common.status import SessionStatus
from sokovan.repositories.scheduler.conditions import BySessionIds
from sokovan.scheduler.hooks.registry import HookRegistry
from sokovan.scheduler.results import SessionTransitionInfo
from unit.sokovan.scheduler.coordinator_testkit import (
    FakeRepository,
    RecordingHook,
    build_world,
    session,
)


async def test_sc_co_005_hook_runs_for_sessions_entering_running() -> None:
    s1 = session(SessionStatus.CREATING)
    hook = RecordingHook()
    world = build_world(
        repository=FakeRepository(sessions={"default": [s1]}),
        hooks=HookRegistry({SessionStatus.RUNNING: hook}),
    )
    infos = [SessionTransitionInfo.of(s1, None)]

    result = await world.coordinator._execute_transition_hooks(infos, SessionStatus.RUNNING)

    assert world.coordinator._hook_registry.get_hook(SessionStatus.RUNNING) is hook
    assert [s.session_id for s in hook.executed] == [s1.session_id]
    assert result.successful_sessions == infos
    (querier,) = world.repository.called("search_sessions_with_kernels_for_handler")
    assert querier.conditions == (BySessionIds(frozenset({s1.session_id})),)


async def test_sc_co_006_hook_failure_keeps_only_that_session_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    s1, s2 = session(SessionStatus.CREATING), session(SessionStatus.CREATING)
    hook = RecordingHook(error=Exception("Hook failed"), failing=frozenset({s1.session_id}))
    world = build_world(
        repository=FakeRepository(sessions={"default": [s1, s2]}),
        hooks=HookRegistry({SessionStatus.RUNNING: hook}),
    )
    infos = [SessionTransitionInfo.of(s, None) for s in (s1, s2)]

    with caplog.at_level(logging.ERROR):
        result = await world.coordinator._execute_transition_hooks(infos, SessionStatus.RUNNING)

    assert [i.session_id for i in result.successful_sessions] == [s2.session_id]
    assert [i.session_id for i in result.failed_sessions] == [s1.session_id]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert str(s1.session_id) in errors[0].getMessage()


async def test_sc_co_007_without_a_hook_every_session_passes_unread() -> None:
    s1 = session(SessionStatus.CREATING)
    world = build_world(repository=FakeRepository(sessions={"default": [s1]}))
    infos = [SessionTransitionInfo.of(s1, None)]

    result = await world.coordinator._execute_transition_hooks(infos, SessionStatus.RUNNING)

    assert result.successful_sessions == infos
    assert world.repository.calls == []


async def test_a_session_failing_its_hook_does_not_transition() -> None:
    s1, s2 = session(SessionStatus.CREATING), session(SessionStatus.CREATING)
    hook = RecordingHook(error=RuntimeError("no"), failing=frozenset({s1.session_id}))
    world = build_world(
        repository=FakeRepository(sessions={"default": [s1, s2]}),
        hooks=HookRegistry({SessionStatus.RUNNING: hook}),
    )
    await world.coordinator._apply_transition(
        "promote-to-running",
        [SessionTransitionInfo.of(s, None) for s in (s1, s2)],
        TransitionStatus(SessionStatus.RUNNING, None),
        SchedulingResult.SUCCESS,
    )

    ((updater, creator),) = world.repository.called("update_with_history")
    assert [c.session_id for c in updater.changes] == [s2.session_id]
    assert [spec.session_id for spec in creator.specs] == [s2.session_id]
    assert [e.session_id for e in world.events.batches[0]] == [s2.session_id]
