"""Kernel runtimes: `process` (real local processes) and `simulated` (delays only)."""

from __future__ import annotations

from sokovan.agent.config import AgentConfig, RuntimeKind
from sokovan.agent.images import VenvBuilder
from sokovan.agent.runtime.base import KernelHandle, KernelLaunch, KernelLogs, KernelRuntime
from sokovan.agent.runtime.process import ProcessRuntime
from sokovan.agent.runtime.simulated import SimulatedRuntime

__all__ = ["KernelHandle", "KernelLaunch", "KernelLogs", "KernelRuntime", "build_runtime"]


def build_runtime(config: AgentConfig) -> KernelRuntime:
    if config.runtime is RuntimeKind.SIMULATED:
        return SimulatedRuntime(config.simulated, preloaded_images=config.images)
    data_dir = config.resolved_data_dir()
    return ProcessRuntime(
        data_dir=data_dir,
        images=config.images,
        venvs=VenvBuilder(data_dir / "venvs", python=config.venv_python),
        env_passthrough=config.env_passthrough,
        poll_interval=config.process_poll_interval,
    )
