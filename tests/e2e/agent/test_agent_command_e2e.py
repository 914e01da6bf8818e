"""`sokovan agent` as a real process: it stops on SIGTERM, its kernels outlive it, and the next
agent process re-adopts them even though they are no longer its children."""

from __future__ import annotations

import asyncio
import os
import platform
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from agent_e2e_kit import TOKEN, RecordingGateway, rpc_at, wait_until

from sokovan.agent import procs
from sokovan.agent.config import detect_architecture
from sokovan.agent.protocol import AgentHeartbeatMessage, KernelEventKind, RpcMethod
from sokovan.agent.registry import KernelRegistry
from sokovan.agent.service import REGISTRY_FILE

pytestmark = pytest.mark.skipif(platform.system() != "Linux", reason="needs /proc and pidfds")

RunAgent = Callable[[], Awaitable[asyncio.subprocess.Process]]


@pytest.fixture
async def run_agent(tmp_path: Path, gateway: RecordingGateway) -> AsyncIterator[RunAgent]:
    """`await run_agent()` starts `python -m sokovan agent`; all are ended, and the kernels
    they leave behind killed, after the test."""
    data_dir = tmp_path / "agent"
    config_file = tmp_path / "agent.toml"
    config_file.write_text(
        f'agent_id = "cli-agent"\n'
        f"bind_port = 0\n"
        f'manager_url = "{gateway.url}"\n'
        f'data_dir = "{data_dir}"\n'
        f"heartbeat_interval = 0.1\n"
        f"process_poll_interval = 0.05\n"
    )
    env = {name: value for name, value in os.environ.items() if not name.startswith("SOKOVAN_")}
    env["SOKOVAN_AGENT_TOKEN"] = TOKEN
    agents: list[asyncio.subprocess.Process] = []

    async def start() -> asyncio.subprocess.Process:
        log = (tmp_path / f"agent-{len(agents)}.log").open("wb")
        with log:
            agent = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "sokovan", "agent", "--config", str(config_file),
                env=env, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
            )  # fmt: skip
        agents.append(agent)
        return agent

    yield start
    for agent in agents:
        if agent.returncode is None:
            agent.kill()
            await agent.wait()
    for record in KernelRegistry.load(data_dir / REGISTRY_FILE).alive():
        if record.pid is not None and record.pid_start_ticks is not None:
            identity = procs.ProcessIdentity(record.pid, record.pid_start_ticks)
            procs.send_signal(identity, signal.SIGKILL)


def _heartbeat_of(gateway: RecordingGateway, known: set[str]) -> AgentHeartbeatMessage | None:
    """The first heartbeat of an agent instance not in `known`."""
    return next((beat for beat in gateway.heartbeats if beat.instance_id not in known), None)


async def _registered(gateway: RecordingGateway, known: set[str]) -> AgentHeartbeatMessage:
    await wait_until(lambda: _heartbeat_of(gateway, known), "a new agent's heartbeat", 20)
    beat = _heartbeat_of(gateway, known)
    assert beat is not None
    return beat


async def test_kernels_outlive_the_agent_process_and_the_next_one_readopts_them(
    run_agent: RunAgent, gateway: RecordingGateway
) -> None:
    first = await run_agent()
    first_beat = await _registered(gateway, set())
    body = {
        "session_id": "session-1",
        "kernel_configs": [
            {
                "kernel_id": "k-cli",
                "image": {"name": "python", "architecture": detect_architecture()},
                "cluster_role": "main",
                "cluster_idx": 0,
                "cluster_hostname": "main1",
                "resource_slots": {"cpu": "1"},
                "command": ["python3", "-c", "import time; time.sleep(60)"],
            }
        ],
        "cluster_info": {"mode": "single-node", "size": 1},
    }
    await rpc_at(first_beat.addr, RpcMethod.CREATE_KERNELS, body)
    started = await gateway.wait_for(KernelEventKind.KERNEL_STARTED, "k-cli")
    assert started.container_id is not None
    kernel = procs.identify(int(started.container_id))
    assert kernel is not None

    first.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(first.wait(), 10) == 0
    assert procs.is_running(kernel)

    await run_agent()
    second_beat = await _registered(gateway, {first_beat.instance_id})
    await wait_until(
        lambda: any(
            beat.instance_id == second_beat.instance_id and beat.running_kernel_ids == ["k-cli"]
            for beat in gateway.heartbeats
        ),
        "the new agent to report the re-adopted kernel",
    )
    answer = await rpc_at(
        second_beat.addr,
        RpcMethod.DESTROY_KERNEL,
        {"kernel_id": "k-cli", "session_id": "session-1", "reason": "user-requested"},
    )
    terminated = await gateway.wait_for(KernelEventKind.KERNEL_TERMINATED, "k-cli")

    assert answer == {"known": True}
    # Not its child, so gone means "no longer running" (it may linger as a zombie until its
    # new parent reaps it), and its exit code is unknown to the agent.
    assert not procs.is_running(kernel)
    assert terminated.instance_id == second_beat.instance_id
    assert (terminated.exit_code, terminated.reason) == (None, "user-requested")
