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

import httpx

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
        credentials = json.loads((data_dir / "credentials.json").read_text())
        auth = f"Bearer {credentials['access_key']}:{credentials['secret_key']}"
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": auth}, timeout=10
        ) as client:
            body = {"image": "python", "session_type": "batch", "resources": {"cpu": "0.25"}}
            created = client.post("/v1/sessions", json=body)
            assert created.status_code == 201, created.text
            sid = created.json()["id"]
            ended = client.get(
                f"/v1/sessions/{sid}/wait", params={"until": "TERMINATED", "timeout": BOUND}
            )
            assert ended.json()["status"] == "TERMINATED", ended.text
            assert client.get(f"/v1/sessions/{sid}/logs").status_code == 200
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
