"""Process identity, exit watching and termination, on real child processes."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import pytest
from agent_testkit import wait_until

from sokovan.agent import procs
from sokovan.agent.runtime.spawn import STDOUT_LOG, spawn

Spawn = Callable[[str], procs.ProcessIdentity]


@pytest.fixture
def spawn_python(tmp_path: Path) -> Iterator[Spawn]:
    """Start `python -c code` in its own session; SIGKILLed and reaped at teardown if alive."""
    started: list[procs.ProcessIdentity] = []

    def start(code: str) -> procs.ProcessIdentity:
        env = {"PATH": os.environ.get("PATH", "")}
        pid = spawn([sys.executable, "-c", code], env, tmp_path, tmp_path)
        identity = procs.identify(pid)
        assert identity is not None
        started.append(identity)
        return identity

    yield start
    for identity in started:
        procs.send_signal(identity, signal.SIGKILL)
        if procs.exists(identity):
            os.waitpid(identity.pid, 0)


def _output(tmp_path: Path) -> str:
    return (tmp_path / STDOUT_LOG).read_text() if (tmp_path / STDOUT_LOG).exists() else ""


def test_a_process_is_identified_by_pid_and_start_time() -> None:
    me = procs.identify(os.getpid())
    assert me is not None
    assert procs.is_running(me)
    assert not procs.is_running(procs.ProcessIdentity(os.getpid(), me.start_ticks + 1))


def test_a_pid_with_another_start_time_is_never_signalled() -> None:
    received: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    me = procs.identify(os.getpid())
    assert me is not None
    previous = signal.signal(signal.SIGTERM, record)
    try:
        impostor = procs.ProcessIdentity(os.getpid(), me.start_ticks - 1)
        assert procs.send_signal(impostor, signal.SIGTERM) is False
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert received == []


async def test_an_exit_is_noticed_and_its_code_collected(spawn_python: Spawn) -> None:
    child = spawn_python("import sys; sys.exit(3)")

    await procs.wait_until_exited(child, poll_interval=0.05)

    assert procs.exists(child)  # a zombie until reaped
    assert not procs.is_running(child)
    assert procs.reap(child.pid) == 3
    assert not procs.exists(child)


async def test_without_a_pidfd_exits_are_noticed_by_polling(
    spawn_python: Spawn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(procs, "_open_pidfd", lambda pid: None)
    child = spawn_python("pass")

    await procs.wait_until_exited(child, poll_interval=0.01)

    assert procs.reap(child.pid) == 0


def test_the_exit_code_of_someone_elses_process_is_unknown() -> None:
    assert procs.reap(1) is None


async def test_terminate_escalates_to_sigkill_after_the_grace_period(
    spawn_python: Spawn, tmp_path: Path
) -> None:
    child = spawn_python(
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    await wait_until(lambda: "ready" in _output(tmp_path), "the child to ignore SIGTERM")

    await procs.terminate(child, grace=0.2, poll_interval=0.05)
    await procs.wait_until_exited(child, poll_interval=0.05)

    assert procs.reap(child.pid) == -signal.SIGKILL


async def test_terminate_reaches_the_whole_process_group(
    spawn_python: Spawn, tmp_path: Path
) -> None:
    child = spawn_python(
        "import subprocess, sys, time; "
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        "print(p.pid, flush=True); time.sleep(60)"
    )
    await wait_until(lambda: _output(tmp_path).strip(), "the grandchild's pid")
    grandchild = procs.identify(int(_output(tmp_path)))
    assert grandchild is not None

    await procs.terminate(child, grace=2, poll_interval=0.05)
    await procs.wait_until_exited(child, poll_interval=0.05)
    await wait_until(lambda: not procs.is_running(grandchild), "the grandchild to end")

    assert procs.reap(child.pid) == -signal.SIGTERM
