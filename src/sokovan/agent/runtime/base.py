"""What a runtime provides: image preparation, and kernels it can start, stop and await.

The kernel lifecycle (events, registry, destroy requests) is runtime-independent and lives in
`sokovan.agent.kernels`; a runtime only knows how to run one kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sokovan.agent.protocol import ImageSpec
from sokovan.agent.registry import KernelRecord


@dataclass(frozen=True, slots=True)
class KernelLaunch:
    """Everything a runtime needs to start one kernel."""

    kernel_id: str
    session_id: str
    image: ImageSpec
    #: None: the image's default command.
    command: list[str] | None
    #: The kernel's environment variables, BACKENDAI_* included (see `sokovan.agent.launch`).
    environ: dict[str, str]
    #: Canonical slot amounts ({"cpu": "1", "mem": "1073741824"}).
    resource_slots: dict[str, str]


@dataclass(frozen=True, slots=True)
class KernelLogs:
    stdout: str
    stderr: str


class KernelHandle(Protocol):
    """One started (or re-adopted) kernel."""

    @property
    def container_id(self) -> str:
        """Runtime id reported in KERNEL_STARTED (the pid for processes)."""
        ...

    @property
    def pid(self) -> int | None: ...

    @property
    def pid_start_ticks(self) -> int | None: ...

    @property
    def kernel_dir(self) -> str | None:
        """The kernel's own directory, if the runtime gives it one."""
        ...

    async def wait(self) -> int | None:
        """Return once the kernel has ended: its exit code, or None when it cannot be known."""
        ...

    async def stop(self, grace: float) -> None:
        """Ask the kernel to end, force it after `grace` seconds; idempotent.

        Returns when it has ended or been force-killed; `wait` then reports the exit.
        """
        ...

    def close(self) -> None:
        """Release what watches the kernel without touching the kernel itself."""
        ...


class KernelRuntime(Protocol):
    @property
    def kind(self) -> str: ...

    def validate_image(self, image: ImageSpec) -> None:
        """Raise `InvalidImageError` for an image this runtime can never run."""
        ...

    def image_ready(self, image: ImageSpec) -> bool: ...

    async def prepare_image(self, image: ImageSpec) -> None:
        """Make the image ready; raises `ImagePreparationError` with a readable reason."""
        ...

    async def start(self, launch: KernelLaunch) -> KernelHandle:
        """Start the kernel; raises `KernelStartError` with a readable reason."""
        ...

    def adopt(self, record: KernelRecord) -> KernelHandle | None:
        """Take back a kernel a previous agent instance started; None if it is gone."""
        ...

    def read_logs(self, record: KernelRecord, limit: int) -> KernelLogs:
        """The last `limit` bytes of each output stream."""
        ...
