"""`sokovan up` as a user runs it: a subprocess serving a real cluster until SIGINT."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sokovan.agent import procs
from sokovan.agent.registry import KernelRegistry
from sokovan.agent.service import REGISTRY_FILE

BOUND = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _wait_for_line(process: subprocess.Popen[str], marker: str) -> None:
    deadline = time.monotonic() + BOUND
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if marker in line:
            return
        assert line or process.poll() is None, "sokovan up exited early"
    raise AssertionError(f"{marker!r} not printed within {BOUND} s")


def _cli(data_dir: Path, *args: str) -> str:
    """`sokovan ARGS` with the credentials `sokovan up` wrote; returns its output."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("SOKOVAN_")}
    env["SOKOVAN_DATA_DIR"] = str(data_dir)
    done = subprocess.run(
        [sys.executable, "-m", "sokovan", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=BOUND * 2,
        check=False,
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def _run_as_a_user_would(data_dir: Path) -> str:
    """Create a batch session with the CLI, wait for it to end and read its output."""
    created = _cli(
        data_dir,
        *("session", "create", "--image", "python", "--type", "batch", "--cpu", "0.25"),
        *("--command", "python3 -c 'print(\"hello from up\")'"),
    )
    sid = created.split()[0]
    _cli(data_dir, "session", "wait", sid, "--until", "TERMINATED", "--timeout", str(BOUND))
    assert "hello from up" in _cli(data_dir, "session", "logs", sid)
    return sid


# Five CLI processes of a few seconds each on a shared 2-core machine: more than the default.
@pytest.mark.timeout(240)
def test_up_serves_a_cluster_and_stops_cleanly_on_sigint(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = _free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("SOKOVAN_")}
    command = [sys.executable, "-m", "sokovan", "up", "--agents", "2"]
    command += ["--data-dir", str(data_dir), "--port", str(port)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        _wait_for_line(process, f"running at http://127.0.0.1:{port}")
        sid = _run_as_a_user_would(data_dir)
        shown = json.loads(_cli(data_dir, "session", "show", sid, "--json"))
        assert (shown["status"], shown["result"]) == ("TERMINATED", "SUCCESS"), shown
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=BOUND) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    assert _processes_mentioning(str(data_dir)) == []
    for registry in (data_dir / "agents").glob(f"*/{REGISTRY_FILE}"):
        for record in KernelRegistry.load(registry).alive():
            assert (
                record.pid is None
                or record.pid_start_ticks is None
                or not procs.is_running(procs.ProcessIdentity(record.pid, record.pid_start_ticks))
            )
