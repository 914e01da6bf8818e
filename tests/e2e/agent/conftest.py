"""End-to-end agent fixtures: a real process-runtime agent served on 127.0.0.1, reporting to a
recording gateway also served on 127.0.0.1. Every kernel process is gone after each test."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from agent_e2e_kit import TOKEN, RecordingGateway

from sokovan.agent import procs
from sokovan.agent.config import AgentConfig
from sokovan.agent.daemon import AgentDaemon
from sokovan.agent.http_server import HttpServer
from sokovan.agent.registry import KernelRegistry
from sokovan.agent.service import REGISTRY_FILE


@pytest.fixture(autouse=True)
def clean_agent_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("SOKOVAN_AGENT_"):
            monkeypatch.delenv(name)


@pytest.fixture
async def gateway() -> AsyncIterator[RecordingGateway]:
    recording = RecordingGateway()
    server = HttpServer(recording.app, "127.0.0.1", 0)
    await server.start()
    recording.url = f"http://127.0.0.1:{server.port}"
    yield recording
    await server.stop()


@pytest.fixture
def agent_config(tmp_path: Path, gateway: RecordingGateway) -> AgentConfig:
    return AgentConfig(
        token=TOKEN,
        agent_id="e2e-agent",
        bind_host="127.0.0.1",
        bind_port=0,
        manager_url=gateway.url,
        data_dir=tmp_path / "agent",
        capacity_slots={"cpu": "2", "mem": "4g"},
        heartbeat_interval=0.1,
        destroy_grace_seconds=2,
        process_poll_interval=0.05,
        port_range=(42000, 42100),
    )


@pytest.fixture
async def start_agent(agent_config: AgentConfig) -> AsyncIterator[Callable[..., Any]]:
    """`await start_agent()` runs a daemon; all are stopped and their kernels killed after."""
    daemons: list[AgentDaemon] = []

    async def start(config: AgentConfig = agent_config) -> AgentDaemon:
        daemon = AgentDaemon(config)
        daemons.append(daemon)
        await daemon.start()
        return daemon

    yield start
    for daemon in daemons:
        await daemon.stop()
    _kill_leftover_kernels(agent_config.resolved_data_dir() / REGISTRY_FILE)


def _kill_leftover_kernels(registry_file: Path) -> None:
    for record in KernelRegistry.load(registry_file).alive():
        if record.pid is None or record.pid_start_ticks is None:
            continue
        identity = procs.ProcessIdentity(record.pid, record.pid_start_ticks)
        procs.send_signal(identity, signal.SIGKILL)
        if procs.exists(identity):
            with contextlib.suppress(ChildProcessError):  # reaped already: not our child
                os.waitpid(identity.pid, 0)
