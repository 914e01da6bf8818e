"""HookRegistry, run_hook and the RUNNING hook."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

import pytest

from sokovan.common.clock import ManualClock
from sokovan.common.ids import SessionId
from sokovan.common.scheduling import SessionType
from sokovan.common.status import SessionResult, SessionStatus
from sokovan.repositories.scheduler.types import SessionWithKernels
from sokovan.scheduler.hooks import HookRegistry, RunningStatusHook, run_hook
from sokovan.scheduler.hooks.status import TerminatedStatusHook
from sokovan.scheduler.results import SessionTransitionInfo
from unit.sokovan.scheduler.coordinator_testkit import NOW, RecordingHook, session


def test_get_hook_returns_the_registered_hook_or_none() -> None:
    hook = RecordingHook()
    registry = HookRegistry({SessionStatus.RUNNING: hook})

    assert registry.get_hook(SessionStatus.RUNNING) is hook
    assert registry.get_hook(SessionStatus.TERMINATED) is None
    assert HookRegistry().get_hook(SessionStatus.RUNNING) is None


class RecordingResults:
    def __init__(self) -> None:
        self.calls: list[tuple[SessionId, SessionResult, str | None]] = []

    async def record_session_result(
        self, session_id: SessionId, result: SessionResult, status_info: str | None
    ) -> bool:
        self.calls.append((session_id, result, status_info))
        return True


def test_the_default_registry_installs_the_running_and_terminated_hooks() -> None:
    registry = HookRegistry.default(ManualClock(NOW), RecordingResults())

    assert isinstance(registry.get_hook(SessionStatus.RUNNING), RunningStatusHook)
    assert isinstance(registry.get_hook(SessionStatus.TERMINATED), TerminatedStatusHook)
    others = set(SessionStatus) - {SessionStatus.RUNNING, SessionStatus.TERMINATED}
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


def _ended(session_type: SessionType, *exit_codes: int | None) -> SessionWithKernels:
    base = session(SessionStatus.TERMINATING)
    info = dataclasses.replace(base.session_info, session_type=session_type)
    (kernel,) = base.kernel_infos
    kernels = tuple(
        dataclasses.replace(kernel, exit_code=code, cluster_hostname=f"k{n}")
        for n, code in enumerate(exit_codes, start=1)
    )
    return dataclasses.replace(base, session_info=info, kernel_infos=kernels)


@pytest.mark.parametrize(
    ("exit_codes", "result", "status_info"),
    [
        ((0,), SessionResult.SUCCESS, "batch-completed"),
        ((0, 0), SessionResult.SUCCESS, "batch-completed"),
        # k2 was stopped by the session's end after k1 finished: still a success.
        ((0, -15), SessionResult.SUCCESS, "batch-completed"),
        ((0, 3), SessionResult.FAILURE, "batch-failed: kernel k2 ended with exit code 3"),
        # Every kernel stopped by a signal (e.g. the user's request): it never completed.
        ((-15,), SessionResult.FAILURE, "batch-failed: kernel k1 ended with exit code -15"),
        ((None,), SessionResult.FAILURE, "batch-failed: kernel k1 ended with no exit code"),
    ],
)
async def test_a_batch_session_result_follows_its_kernels_exit_codes(
    exit_codes: tuple[int | None, ...], result: SessionResult, status_info: str
) -> None:
    writer = RecordingResults()
    ended = _ended(SessionType.BATCH, *exit_codes)

    await TerminatedStatusHook(writer).execute(ended)

    assert writer.calls == [(ended.session_id, result, status_info)]


async def test_he_002_an_interactive_session_keeps_an_undefined_result() -> None:
    writer = RecordingResults()

    await TerminatedStatusHook(writer).execute(_ended(SessionType.INTERACTIVE, 0))

    assert writer.calls == []
