"""The simulated runtime: no processes, only configurable delays and seeded failures.

It lets benchmarks and simulations run hundreds of agents in one process. Every delay goes
through an injectable `sleep`, so tests can observe or skip time instead of waiting for it.
Nothing survives the agent: a restarted simulated agent re-adopts no kernel.
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import Awaitable, Callable, Iterable

from sokovan.agent.config import SimulatedTimings
from sokovan.agent.errors import ImagePreparationError, KernelStartError
from sokovan.agent.protocol import ImageSpec
from sokovan.agent.registry import KernelRecord
from sokovan.agent.runtime.base import KernelLaunch, KernelLogs

Sleep = Callable[[float], Awaitable[None]]

#: The exit code of a destroyed simulated kernel: what a process ended by SIGTERM reports.
STOPPED_EXIT_CODE = -signal.SIGTERM


class SimulatedKernel:
    def __init__(self, kernel_id: str, run_seconds: float | None, sleep: Sleep) -> None:
        self._kernel_id = kernel_id
        self._run_seconds = run_seconds
        self._sleep = sleep
        self._stopped = asyncio.Event()
        self._exit = asyncio.create_task(self._run(), name=f"simulated-kernel-{kernel_id}")

    async def _run(self) -> int:
        if self._run_seconds is None:
            await self._stopped.wait()
            return STOPPED_EXIT_CODE
        running = asyncio.ensure_future(self._sleep(self._run_seconds))
        stopping = asyncio.ensure_future(self._stopped.wait())
        try:
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            running.cancel()
            stopping.cancel()
        return STOPPED_EXIT_CODE if self._stopped.is_set() else 0

    @property
    def container_id(self) -> str:
        return f"simulated-{self._kernel_id}"

    @property
    def pid(self) -> None:
        return None

    @property
    def pid_start_ticks(self) -> None:
        return None

    @property
    def kernel_dir(self) -> None:
        return None

    async def wait(self) -> int | None:
        return await asyncio.shield(self._exit)

    async def stop(self, grace: float) -> None:
        self._stopped.set()
        await asyncio.wait({self._exit})

    def close(self) -> None:
        self._exit.cancel()


class SimulatedRuntime:
    def __init__(
        self,
        timings: SimulatedTimings,
        preloaded_images: Iterable[str] = (),
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._timings = timings
        self._sleep = sleep
        self._random = random.Random(timings.seed)
        self._ready = set(preloaded_images)

    @property
    def kind(self) -> str:
        return "simulated"

    def validate_image(self, image: ImageSpec) -> None:
        """Every image is acceptable to the simulation."""

    def image_ready(self, image: ImageSpec) -> bool:
        return image.name in self._ready

    async def prepare_image(self, image: ImageSpec) -> None:
        await self._delay(self._timings.pull_seconds)
        if self._fails(self._timings.pull_failure_rate):
            raise ImagePreparationError(f"simulated pull failure of {image.name!r}")
        self._ready.add(image.name)

    async def start(self, launch: KernelLaunch) -> SimulatedKernel:
        await self._delay(self._timings.create_seconds)
        if self._fails(self._timings.create_failure_rate):
            raise KernelStartError(f"simulated creation failure of kernel {launch.kernel_id}")
        return SimulatedKernel(launch.kernel_id, self._timings.run_seconds, self._sleep)

    def adopt(self, record: KernelRecord) -> None:
        return None

    def read_logs(self, record: KernelRecord, limit: int) -> KernelLogs:
        return KernelLogs(stdout="", stderr="")

    async def _delay(self, seconds: float) -> None:
        # A zero delay is none: no turn of the event loop given up per image or kernel.
        if seconds > 0:
            await self._sleep(seconds)

    def _fails(self, rate: float) -> bool:
        # Always draw, so that the outcome of each call depends only on the seed and on how
        # many calls came before, not on which rates happen to be zero.
        return self._random.random() < rate
