"""The process runtime: every kernel is a real local process.

Each kernel gets a directory `<data dir>/kernels/<kernel id>` holding its output
(stdout.log, stderr.log); it runs there unless its image names another working directory.
Kernels share the host's network and filesystem: isolation is that of OS users and limits.py,
not of containers, so this runtime suits trusted workloads and single-user installations.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from sokovan.agent import procs
from sokovan.agent.errors import KernelStartError
from sokovan.agent.images import ImageEnvironment, VenvBuilder, resolve_environment
from sokovan.agent.protocol import ImageSpec
from sokovan.agent.registry import KernelRecord
from sokovan.agent.runtime.base import KernelLaunch, KernelLogs
from sokovan.agent.runtime.limits import CpuPicker, apply_limits
from sokovan.agent.runtime.spawn import (
    STDERR_LOG,
    STDOUT_LOG,
    kernel_environment,
    read_tail,
    resolve_executable,
    spawn,
)


class ProcessKernel:
    """A kernel process, started by this agent or re-adopted from a previous instance.

    A watcher task follows the process from the start, so its exit is noticed (and, for our
    own children, its exit code collected) whether or not anyone is waiting yet.
    """

    def __init__(self, identity: procs.ProcessIdentity, kernel_dir: Path, poll: float) -> None:
        self._identity = identity
        self._kernel_dir = kernel_dir
        self._poll = poll
        self._exit = asyncio.create_task(self._watch(), name=f"kernel-process-{identity.pid}")

    async def _watch(self) -> int | None:
        await procs.wait_until_exited(self._identity, self._poll)
        # Only a process still in the table as the same process can be reaped by us: a
        # re-adopted kernel that is not our child has been reaped by its new parent already.
        return procs.reap(self._identity.pid) if procs.exists(self._identity) else None

    @property
    def container_id(self) -> str:
        return str(self._identity.pid)

    @property
    def pid(self) -> int:
        return self._identity.pid

    @property
    def pid_start_ticks(self) -> int:
        return self._identity.start_ticks

    @property
    def kernel_dir(self) -> str:
        return str(self._kernel_dir)

    async def wait(self) -> int | None:
        return await asyncio.shield(self._exit)

    async def stop(self, grace: float) -> None:
        if not self._exit.done():
            await procs.terminate(self._identity, grace, self._poll)
            await asyncio.wait({self._exit})

    def close(self) -> None:
        self._exit.cancel()


class ProcessRuntime:
    def __init__(
        self,
        *,
        data_dir: Path,
        images: Mapping[str, ImageEnvironment],
        venvs: VenvBuilder,
        env_passthrough: Sequence[str],
        poll_interval: float,
    ) -> None:
        self._kernels_dir = data_dir / "kernels"
        self._images = images
        self._venvs = venvs
        self._env_passthrough = tuple(env_passthrough)
        self._poll = poll_interval
        self._cpus = CpuPicker()

    @property
    def kind(self) -> str:
        return "process"

    def validate_image(self, image: ImageSpec) -> None:
        resolve_environment(image, self._images)

    def image_ready(self, image: ImageSpec) -> bool:
        return self._venvs.is_ready(image.name, resolve_environment(image, self._images))

    async def prepare_image(self, image: ImageSpec) -> None:
        await self._venvs.build(image.name, resolve_environment(image, self._images))

    async def start(self, launch: KernelLaunch) -> ProcessKernel:
        environment = resolve_environment(launch.image, self._images)
        command = launch.command or environment.command
        if not command:
            raise KernelStartError(
                f"no command: image {launch.image.name!r} defines none and the request gave none"
            )
        kernel_dir = self._kernels_dir / launch.kernel_id
        kernel_dir.mkdir(parents=True, exist_ok=True)
        cwd = _working_directory(kernel_dir, environment.workdir)
        env = kernel_environment(
            inherited=os.environ,
            passthrough=self._env_passthrough,
            home=kernel_dir,
            image_env=environment.env,
            venv=self._venvs.venv_dir(launch.image.name, environment),
            environ=launch.environ,
        )
        executable = resolve_executable(command[0], env.get("PATH"), cwd)
        pid = spawn([executable, *command[1:]], env, cwd, kernel_dir)
        identity = procs.identify(pid)
        if identity is None:  # unreachable on Linux: an unreaped child stays in /proc
            raise KernelStartError(f"started pid {pid} but cannot identify it in /proc")
        apply_limits(pid, launch.resource_slots, self._cpus)
        return ProcessKernel(identity, kernel_dir, self._poll)

    def adopt(self, record: KernelRecord) -> ProcessKernel | None:
        if record.pid is None or record.pid_start_ticks is None or record.kernel_dir is None:
            return None
        identity = procs.ProcessIdentity(record.pid, record.pid_start_ticks)
        if not procs.exists(identity):
            return None
        return ProcessKernel(identity, Path(record.kernel_dir), self._poll)

    def read_logs(self, record: KernelRecord, limit: int) -> KernelLogs:
        if record.kernel_dir is None:
            return KernelLogs(stdout="", stderr="")
        kernel_dir = Path(record.kernel_dir)
        return KernelLogs(
            stdout=read_tail(kernel_dir / STDOUT_LOG, limit),
            stderr=read_tail(kernel_dir / STDERR_LOG, limit),
        )


def _working_directory(kernel_dir: Path, workdir: str | None) -> Path:
    if workdir is None:
        return kernel_dir
    path = Path(workdir)
    if not path.is_absolute():
        path = kernel_dir / path
        path.mkdir(parents=True, exist_ok=True)
    if not path.is_dir():
        raise KernelStartError(f"working directory {path} does not exist")
    return path
