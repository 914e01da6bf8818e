"""HookRegistry, run_hook and the RUNNING hook."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from sokovan.common.clock import ManualClock
from sokovan.common.status import SessionStatus
from sokovan.scheduler.hooks import HookRegistry, RunningStatusHook, run_hook
from sokovan.scheduler.results import SessionTransitionInfo
from unit.sokovan.scheduler.coordinator_testkit import NOW, RecordingHook, session


def test_get_hook_returns_the_registered_hook_or_none() -> None:
    hook = RecordingHook()
    registry = HookRegistry({SessionStatus.RUNNING: hook})

    assert registry.get_hook(SessionStatus.RUNNING) is hook
    assert registry.get_hook(SessionStatus.TERMINATED) is None
    assert HookRegistry().get_hook(SessionStatus.RUNNING) is None


def test_the_default_registry_installs_the_running_hook_only() -> None:
    registry = HookRegistry.default(ManualClock(NOW))

    assert isinstance(registry.get_hook(SessionStatus.RUNNING), RunningStatusHook)
    others = set(SessionStatus) - {SessionStatus.RUNNING}
    assert all(registry.get_hook(status) is None for status in others)


async def test_run_hook_holds_back_raising_and_vanished_sessions_in_order() -> None:
    ok1, bad, ok2, gone = (session(SessionStatus.CREATING) for _ in range(4))
    hook = RecordingHook(error=ValueError("no"), failing=frozenset({bad.session_id}))
    infos = [SessionTransitionInfo.of(s, None) for s in (ok1, bad, ok2, gone)]

    result = await run_hook(hook, SessionStatus.RUNNING, infos, [ok1, bad, ok2])

    assert [i.session_id for i in result.successful_sessions] == [ok1.session_id, ok2.session_id]
    assert [i.session_id for i in result.failed_sessions] == [bad.session_id, gone.session_id]
    assert [s.session_id for s in hook.executed] == [ok1.session_id, bad.session_id, ok2.session_id]


async def test_running_hook_logs_where_and_how_fast_the_session_started(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = ManualClock(NOW)
    started = session(SessionStatus.CREATING, status_changed=NOW)
    clock.advance(timedelta(seconds=1.5))

    with caplog.at_level(logging.INFO, logger="sokovan.scheduler.hooks.status"):
        await RunningStatusHook(clock).execute(started)

    (record,) = caplog.records
    message = record.getMessage()
    assert str(started.session_id) in message
    assert "agent-1" in message
    assert "1.500s after submission" in message
