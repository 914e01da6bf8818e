"""A real process-runtime agent, driven over HTTP like the manager drives it."""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from agent_e2e_kit import RecordingGateway, build_probe_wheel, rpc, wait_until

from sokovan.agent import procs
from sokovan.agent.config import detect_architecture
from sokovan.agent.kernels import REASON_EXITED, REASON_EXITED_WHILE_AGENT_DOWN
from sokovan.agent.protocol import KernelEventKind, RpcMethod
from sokovan.agent.registry import KernelRecord, KernelRegistry, KernelState
from sokovan.agent.service import REGISTRY_FILE

pytestmark = pytest.mark.skipif(platform.system() != "Linux", reason="needs /proc and pidfds")

K = KernelEventKind
ARCH = detect_architecture()
SLEEP_60 = ["python3", "-c", "import time; time.sleep(60)"]
StartAgent = Callable[..., Any]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _create_body(
    kernel_id: str,
    command: list[str],
    *,
    environment: dict[str, Any] | None = None,
    slots: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "session_id": "session-1",
        "kernel_configs": [
            {
                "kernel_id": kernel_id,
                "image": {"name": "python", "architecture": ARCH, "environment": environment or {}},
                "cluster_role": "main",
                "cluster_idx": 0,
                "cluster_hostname": "main1",
                "resource_slots": slots or {"cpu": "1"},
                "environ": {"GREETING": "hello"},
                "command": command,
            }
        ],
        "cluster_info": {"mode": "single-node", "size": 1},
    }


def _address_space_limits(pid: int) -> list[str]:
    """The soft and hard RLIMIT_AS of the process, as /proc shows them."""
    limits = Path(f"/proc/{pid}/limits").read_text()
    line = next(line for line in limits.splitlines() if line.startswith("Max address space"))
    return line.split()[3:5]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_a_kernel_runs_prints_and_exits_with_code_0(
    start_agent: StartAgent, gateway: RecordingGateway
) -> None:
    agent = await start_agent()
    code = "import os; print(os.environ['GREETING'], os.environ['BACKENDAI_KERNEL_ID'])"

    answer = await rpc(
        agent, RpcMethod.CREATE_KERNELS, _create_body("k-hello", ["python3", "-c", code])
    )
    started = await gateway.wait_for(K.KERNEL_STARTED, "k-hello")
    terminated = await gateway.wait_for(K.KERNEL_TERMINATED, "k-hello")
    logs = await rpc(agent, RpcMethod.KERNEL_LOGS, {"kernel_id": "k-hello"})

    assert answer == {"accepted": ["k-hello"]}
    assert gateway.kinds("k-hello") == [K.KERNEL_CREATING, K.KERNEL_STARTED, K.KERNEL_TERMINATED]
    assert started.container_id is not None
    assert int(started.container_id) > 0
    assert (terminated.exit_code, terminated.reason) == (0, REASON_EXITED)
    assert logs["stdout"] == "hello k-hello\n"
    assert logs["known"] is True
    assert await rpc(agent, RpcMethod.CHECK_RUNNING, {"kernel_id": "k-hello"}) == {"running": False}


async def test_the_first_heartbeat_registers_the_agent(
    start_agent: StartAgent, gateway: RecordingGateway
) -> None:
    agent = await start_agent()
    await wait_until(lambda: gateway.heartbeats, "a heartbeat")

    beat = gateway.heartbeats[0]
    assert (beat.agent_id, beat.instance_id) == ("e2e-agent", agent.instance_id)
    assert beat.addr == agent.addr
    assert beat.addr == f"http://127.0.0.1:{agent.port}"
    assert beat.available_slots == {"cpu": "2", "mem": "4294967296"}
    assert beat.architecture == ARCH


async def test_a_destroyed_kernel_is_gone_and_reported_with_the_reason(
    start_agent: StartAgent, gateway: RecordingGateway
) -> None:
    agent = await start_agent()
    await rpc(agent, RpcMethod.CREATE_KERNELS, _create_body("k-long", SLEEP_60))
    started = await gateway.wait_for(K.KERNEL_STARTED, "k-long")
    assert started.container_id is not None
    pid = int(started.container_id)
    assert not _gone(pid)

    answer = await rpc(
        agent,
        RpcMethod.DESTROY_KERNEL,
        {"kernel_id": "k-long", "session_id": "session-1", "reason": "user-requested"},
    )

    assert answer == {"known": True}
    assert _gone(pid)
    terminated = await gateway.wait_for(K.KERNEL_TERMINATED, "k-long")
    assert (terminated.exit_code, terminated.reason) == (-signal.SIGTERM, "user-requested")


async def test_a_restarted_agent_readopts_a_running_kernel_without_killing_it(
    start_agent: StartAgent, gateway: RecordingGateway
) -> None:
    first = await start_agent()
    await rpc(first, RpcMethod.CREATE_KERNELS, _create_body("k-survivor", SLEEP_60))
    started = await gateway.wait_for(K.KERNEL_STARTED, "k-survivor")
    assert started.container_id is not None
    pid = int(started.container_id)

    await first.stop()
    second = await start_agent()

    assert second.instance_id != first.instance_id
    assert not _gone(pid)
    assert await rpc(second, RpcMethod.CHECK_RUNNING, {"kernel_id": "k-survivor"}) == {
        "running": True
    }
    await wait_until(
        lambda: any(
            beat.instance_id == second.instance_id and beat.running_kernel_ids == ["k-survivor"]
            for beat in gateway.heartbeats
        ),
        "a heartbeat of the new instance reporting the kernel",
    )
    assert K.KERNEL_TERMINATED not in gateway.kinds("k-survivor")

    await rpc(
        second,
        RpcMethod.DESTROY_KERNEL,
        {"kernel_id": "k-survivor", "session_id": "session-1", "reason": "user-requested"},
    )
    assert _gone(pid)
    terminated = await gateway.wait_for(K.KERNEL_TERMINATED, "k-survivor")
    assert terminated.instance_id == second.instance_id
    assert terminated.reason == "user-requested"


async def test_a_readopted_kernel_that_exits_on_its_own_is_reported(
    start_agent: StartAgent, gateway: RecordingGateway
) -> None:
    wait_for_go = (
        "import os, sys, time\nwhile not os.path.exists('go'): time.sleep(0.02)\nsys.exit(7)"
    )
    first = await start_agent()
    await rpc(
        first, RpcMethod.CREATE_KERNELS, _create_body("k-late", ["python3", "-c", wait_for_go])
    )
    await gateway.wait_for(K.KERNEL_STARTED, "k-late")
    await first.stop()
    second = await start_agent()

    (first.config.resolved_data_dir() / "kernels" / "k-late" / "go").touch()
    terminated = await gateway.wait_for(K.KERNEL_TERMINATED, "k-late")

    assert terminated.instance_id == second.instance_id
    assert terminated.reason == REASON_EXITED
    # In this test the kernel is still a child of the (same) process that runs both agents, so
    # its code can be collected; a kernel of an agent process that died reports None.
    assert terminated.exit_code == 7


def _impostor(kernel_id: str, pid: int, data_dir: Path, **fields: Any) -> KernelRecord:
    identity = procs.identify(pid)
    assert identity is not None
    return KernelRecord(
        kernel_id=kernel_id,
        session_id="s-old",
        image="python",
        state=KernelState.RUNNING,
        created_at=T0,
        container_id=str(pid),
        pid=pid,
        pid_start_ticks=identity.start_ticks + 12345,  # same pid, another process
        kernel_dir=str(data_dir / "kernels" / kernel_id),
        **fields,
    )


@pytest.fixture
def bystander() -> Iterator[subprocess.Popen[bytes]]:
    """A process the agent did not start."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


async def test_pids_in_the_registry_that_belong_to_other_processes_are_never_signalled(
    start_agent: StartAgent,
    gateway: RecordingGateway,
    tmp_path: Path,
    bystander: subprocess.Popen[bytes],
) -> None:
    data_dir = tmp_path / "agent"
    registry = KernelRegistry(data_dir / REGISTRY_FILE)
    # The test's own process, with a destroy pending: even finishing that must not touch it.
    registry.put(_impostor("k-self", os.getpid(), data_dir, destroy_reason="user-requested"))
    registry.put(_impostor("k-bystander", bystander.pid, data_dir))
    received: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGTERM, record)
    try:
        agent = await start_agent()
        self_ended = await gateway.wait_for(K.KERNEL_TERMINATED, "k-self")
        bystander_ended = await gateway.wait_for(K.KERNEL_TERMINATED, "k-bystander")
        destroyed = await rpc(
            agent, RpcMethod.DESTROY_KERNEL, {"kernel_id": "k-bystander", "session_id": "s-old"}
        )
        bystander_alive = bystander.poll() is None
    finally:
        signal.signal(signal.SIGTERM, previous)

    assert received == []
    assert bystander_alive
    assert (self_ended.exit_code, self_ended.reason) == (None, "user-requested")
    assert (bystander_ended.exit_code, bystander_ended.reason) == (
        None,
        REASON_EXITED_WHILE_AGENT_DOWN,
    )
    assert destroyed == {"known": False}


async def test_memory_and_cpu_limits_are_applied(
    start_agent: StartAgent, gateway: RecordingGateway
) -> None:
    agent = await start_agent()
    slots = {"cpu": "1", "mem": str(512 * 1024 * 1024)}
    await rpc(agent, RpcMethod.CREATE_KERNELS, _create_body("k-limited", SLEEP_60, slots=slots))
    started = await gateway.wait_for(K.KERNEL_STARTED, "k-limited")
    assert started.container_id is not None
    pid = int(started.container_id)

    assert _address_space_limits(pid) == [str(512 * 1024 * 1024)] * 2
    if len(os.sched_getaffinity(0)) > 1:
        assert len(os.sched_getaffinity(pid)) == 1


async def test_a_missing_command_fails_the_creation_with_the_reason(
    start_agent: StartAgent, gateway: RecordingGateway
) -> None:
    agent = await start_agent()

    await rpc(agent, RpcMethod.CREATE_KERNELS, _create_body("k-bad", ["no-such-program-xyz"]))
    failed = await gateway.wait_for(K.KERNEL_CREATION_FAILED, "k-bad")

    assert failed.reason is not None
    assert "'no-such-program-xyz' not found" in failed.reason


async def test_an_image_with_requirements_runs_its_kernels_in_its_venv(
    start_agent: StartAgent, gateway: RecordingGateway, tmp_path: Path
) -> None:
    wheel = build_probe_wheel(tmp_path, "probe-42")
    environment = {"requirements": [str(wheel)], "command": ["python", "-c", "pass"]}
    image = {"name": "probe", "architecture": ARCH, "environment": environment}
    agent = await start_agent()

    pulling = await rpc(agent, RpcMethod.CHECK_AND_PULL, {"images": [image]})
    await gateway.wait_for(K.IMAGE_PULL_FINISHED)
    ready = await rpc(agent, RpcMethod.CHECK_AND_PULL, {"images": [image]})
    body = _create_body(
        "k-probe",
        ["python", "-c", "import sokovan_e2e_probe as p; print(p.VALUE)"],
        environment=environment,
    )
    body["kernel_configs"][0]["image"]["name"] = "probe"
    await rpc(agent, RpcMethod.CREATE_KERNELS, body)
    terminated = await gateway.wait_for(K.KERNEL_TERMINATED, "k-probe")
    logs = await rpc(agent, RpcMethod.KERNEL_LOGS, {"kernel_id": "k-probe"})

    assert pulling["results"][0]["status"] == "pulling"
    assert ready["results"][0]["status"] == "ready"
    assert terminated.exit_code == 0, logs["stderr"]
    assert logs["stdout"] == "probe-42\n"
