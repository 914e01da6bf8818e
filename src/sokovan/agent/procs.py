"""Identifying, signalling, awaiting and reaping processes by pid, safely.

A pid alone does not identify a process: once a process is reaped its pid can be given to
another. The agent therefore records (pid, start time) and re-reads /proc/<pid>/stat before
every signal: a different start time means a different process, which is never signalled.
Without /proc (not Linux) no process can be verified, so none is signalled or re-adopted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
_DEAD_STATES = frozenset("ZXx")  # zombie or dead: exited, only the process table entry is left


@dataclass(frozen=True, slots=True)
class ProcessIdentity:
    pid: int
    #: Start time in clock ticks since boot (field 22 of /proc/<pid>/stat).
    start_ticks: int


@dataclass(frozen=True, slots=True)
class _Stat:
    state: str
    process_group: int
    start_ticks: int


def _read_stat(pid: int) -> _Stat | None:
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may itself contain spaces and ")",
    # so split after its last closing parenthesis.
    fields = text[text.rindex(")") + 2 :].split()
    return _Stat(state=fields[0], process_group=int(fields[2]), start_ticks=int(fields[19]))


def identify(pid: int) -> ProcessIdentity | None:
    """The identity of the process now holding `pid` (exited-but-unreaped included)."""
    stat = _read_stat(pid)
    return None if stat is None else ProcessIdentity(pid, stat.start_ticks)


def _current_stat(identity: ProcessIdentity) -> _Stat | None:
    """The stat of `identity` if that very process still runs, else None."""
    stat = _read_stat(identity.pid)
    if stat is None or stat.start_ticks != identity.start_ticks or stat.state in _DEAD_STATES:
        return None
    return stat


def exists(identity: ProcessIdentity) -> bool:
    """True while that process has a process table entry, even as an unreaped zombie."""
    stat = _read_stat(identity.pid)
    return stat is not None and stat.start_ticks == identity.start_ticks


def is_running(identity: ProcessIdentity) -> bool:
    return _current_stat(identity) is not None


def send_signal(identity: ProcessIdentity, sig: int) -> bool:
    """Signal the process, and its whole group when it leads one; False if it is gone.

    Never signals a process other than `identity`: the pid's start time is checked first.
    """
    stat = _current_stat(identity)
    if stat is None:
        return False
    try:
        if stat.process_group == identity.pid:
            os.killpg(identity.pid, sig)
        else:
            os.kill(identity.pid, sig)
    except ProcessLookupError:
        return False
    return True


def reap(pid: int) -> int | None:
    """Collect an exited child's exit code (−N: killed by signal N); None if not our child."""
    try:
        waited, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status) if waited == pid else None


async def wait_until_exited(identity: ProcessIdentity, poll_interval: float) -> None:
    """Return once the process has exited (it may still need reaping).

    Uses a pidfd where the kernel offers one (instant, no polling); otherwise polls /proc.
    """
    pidfd = _open_pidfd(identity.pid)
    if pidfd is None:
        # Nothing signals the exit of a process we cannot get a pidfd for: poll.
        while is_running(identity):  # noqa: ASYNC110
            await asyncio.sleep(poll_interval)
        return
    try:
        # Checked after opening: the pidfd now pins this pid, so it cannot be reused between
        # the check and the wait.
        if is_running(identity):
            await _readable(pidfd)
    finally:
        os.close(pidfd)


def _open_pidfd(pid: int) -> int | None:
    if not hasattr(os, "pidfd_open"):
        return None
    try:
        return os.pidfd_open(pid)
    except ProcessLookupError:
        return None
    except OSError:  # e.g. a kernel older than 5.3 or a seccomp filter: fall back to polling
        return None


async def _readable(fd: int) -> None:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()

    def on_readable() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, on_readable)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


async def terminate(identity: ProcessIdentity, grace: float, poll_interval: float) -> None:
    """SIGTERM the process (group), then SIGKILL once `grace` seconds have passed."""
    if not send_signal(identity, signal.SIGTERM):
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(grace):
            await wait_until_exited(identity, poll_interval)
            return
    send_signal(identity, signal.SIGKILL)
