"""Process agents on this machine, as `sokovan up` runs them: spawned, sized, stopped.

Each agent is a `python -m sokovan agent --config <file>` subprocess with its own data
directory (registry, kernels, log) under `<data dir>/agents/<agent id>`. The generated TOML
file holds everything but the token, which travels in SOKOVAN_AGENT_TOKEN only (files and
command lines are easier to leak). Agents bind port 0, so they never collide; they tell the
manager their address in their heartbeats.

Stopping is SIGTERM, a bounded wait, then SIGKILL. An agent leaves its kernels running when
it stops (a restarted agent takes them back), so `kill_leftover_kernels` ends whatever the
registries still list as alive, for a shutdown that must leave no process behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sokovan.agent import procs
from sokovan.agent.config import detect_capacity
from sokovan.agent.registry import KernelRegistry
from sokovan.agent.service import REGISTRY_FILE

CONFIG_FILE = "agent.toml"
LOG_FILE = "agent.log"
#: Each agent hands out kernel ports from its own block, so two agents never compete.
_PORT_BASE = 30000
_PORT_BLOCK = 1000


@dataclass(frozen=True, slots=True)
class LocalAgentSpec:
    """One local agent: its identity, where it keeps its state, and what it offers."""

    agent_id: str
    data_dir: Path
    manager_url: str
    capacity_slots: Mapping[str, str]
    port_range: tuple[int, int]
    scaling_group: str = "default"
    heartbeat_interval: float = 2.0
    #: Further agent settings written verbatim into the config file (strings, numbers).
    extra: Mapping[str, object] = field(default_factory=dict)

    def config_toml(self) -> str:
        """The agent's config file; every value is JSON-encoded, which TOML also reads."""
        slots = ", ".join(f"{key} = {json.dumps(v)}" for key, v in self.capacity_slots.items())
        values: dict[str, object] = {
            "agent_id": self.agent_id,
            "scaling_group": self.scaling_group,
            "bind_host": "127.0.0.1",
            "bind_port": 0,
            "manager_url": self.manager_url,
            "data_dir": str(self.data_dir),
            "runtime": "process",
            "heartbeat_interval": self.heartbeat_interval,
            **self.extra,
        }
        lines = [f"{key} = {json.dumps(value)}" for key, value in values.items()]
        lines.append(f"port_range = [{self.port_range[0]}, {self.port_range[1]}]")
        lines.append(f"capacity_slots = {{ {slots} }}")
        return "\n".join(lines) + "\n"


def plan_local_agents(
    count: int,
    root: Path,
    manager_url: str,
    *,
    cpu_fraction: float,
    mem_fraction: float,
    heartbeat_interval: float = 2.0,
    capacity: Mapping[str, str] | None = None,
) -> list[LocalAgentSpec]:
    """`count` agents named local-1…local-N under `root`, splitting the given fractions of
    this machine's CPUs and memory (`capacity`, default: detected) evenly among them.

    Raises ValueError for a count below 1.
    """
    if count < 1:
        raise ValueError("at least one local agent is needed")
    machine = dict(capacity or detect_capacity())
    share = {"cpu": Decimal(str(cpu_fraction)) / count, "mem": Decimal(str(mem_fraction)) / count}
    slots: dict[str, str] = {
        name: _amount(Decimal(machine[name]) * share[name], whole=name == "mem")
        for name in ("cpu", "mem")
        if name in machine
    }
    return [
        LocalAgentSpec(
            agent_id=f"local-{index}",
            data_dir=root / f"local-{index}",
            manager_url=manager_url,
            capacity_slots=slots,
            port_range=(
                _PORT_BASE + (index - 1) * _PORT_BLOCK,
                _PORT_BASE + index * _PORT_BLOCK - 1,
            ),
            heartbeat_interval=heartbeat_interval,
        )
        for index in range(1, count + 1)
    ]


def _amount(value: Decimal, *, whole: bool) -> str:
    """Memory in whole bytes; CPUs to two decimals, never below 0.01."""
    if whole:
        return str(int(value))
    return str(max(value.quantize(Decimal("0.01")), Decimal("0.01")).normalize())


class LocalAgents:
    """The agent subprocesses of `specs`; `start` spawns them, `stop` ends them.

    `token` is the shared agent token. `stop_timeout` bounds each agent's clean exit.
    """

    def __init__(self, specs: Sequence[LocalAgentSpec], token: str, stop_timeout: float) -> None:
        self.specs = tuple(specs)
        self._token = token
        self._stop_timeout = stop_timeout
        self._processes: dict[str, asyncio.subprocess.Process] = {}

    @property
    def pids(self) -> dict[str, int]:
        return {agent_id: process.pid for agent_id, process in self._processes.items()}

    def exited(self) -> dict[str, int]:
        """The agents whose process has ended, with their exit codes."""
        return {
            agent_id: process.returncode
            for agent_id, process in self._processes.items()
            if process.returncode is not None
        }

    async def start(self) -> None:
        """Write each agent's config and spawn it; raises OSError when one cannot start."""
        for spec in self.specs:
            spec.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            config_file = spec.data_dir / CONFIG_FILE
            config_file.write_text(spec.config_toml(), encoding="utf-8")
            self._processes[spec.agent_id] = await self._spawn(config_file, spec.data_dir)

    async def _spawn(self, config_file: Path, data_dir: Path) -> asyncio.subprocess.Process:
        env = {name: value for name, value in os.environ.items() if not name.startswith("SOKOVAN_")}
        env["SOKOVAN_AGENT_TOKEN"] = self._token
        with (data_dir / LOG_FILE).open("ab") as log_file:
            return await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "sokovan",
                "agent",
                "--config",
                str(config_file),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
                env=env,
                # Its own session: a Ctrl-C in the terminal reaches only `sokovan up`, which
                # then stops the agents in order.
                start_new_session=True,
            )

    async def stop(self) -> None:
        """SIGTERM every agent, wait up to the stop timeout, SIGKILL those still running."""
        running = [p for p in self._processes.values() if p.returncode is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        await asyncio.gather(*(self._reap(process) for process in running))

    async def _reap(self, process: asyncio.subprocess.Process) -> None:
        try:
            async with asyncio.timeout(self._stop_timeout):
                await process.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()

    def kill_leftover_kernels(self) -> int:
        """SIGKILL every kernel the agents' registries still list as alive; returns how many."""
        return sum(kill_registered_kernels(spec.data_dir) for spec in self.specs)


def kill_registered_kernels(agent_data_dir: Path) -> int:
    """SIGKILL the kernels alive in the registry under `agent_data_dir`; returns how many.

    Only processes whose start time matches the record are signalled (see `procs`).
    """
    killed = 0
    for record in KernelRegistry.load(agent_data_dir / REGISTRY_FILE).alive():
        if record.pid is None or record.pid_start_ticks is None:
            continue
        identity = procs.ProcessIdentity(record.pid, record.pid_start_ticks)
        if procs.send_signal(identity, signal.SIGKILL):
            killed += 1
    return killed
