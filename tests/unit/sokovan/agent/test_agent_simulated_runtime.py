"""The simulated runtime: its delays (observed through an injected sleep, never waited for)
and its seeded failures."""

from __future__ import annotations

import asyncio

import pytest
from agent_testkit import create_request, image

from sokovan.agent.config import SimulatedTimings
from sokovan.agent.errors import ImagePreparationError, KernelStartError
from sokovan.agent.launch import kernel_launches
from sokovan.agent.runtime.base import KernelLaunch
from sokovan.agent.runtime.simulated import STOPPED_EXIT_CODE, SimulatedRuntime


class RecordingSleep:
    """Returns at once, remembering each requested delay."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


class StallingSleep:
    """Returns at once for short delays; never returns for long ones."""

    async def __call__(self, seconds: float) -> None:
        if seconds > 60:
            await asyncio.Event().wait()
        await asyncio.sleep(0)


def _launch(kernel_id: str = "k1") -> KernelLaunch:
    return kernel_launches(create_request(kernel_id))[0]


async def test_pull_takes_the_pull_time_and_makes_the_image_ready() -> None:
    sleep = RecordingSleep()
    runtime = SimulatedRuntime(SimulatedTimings(pull_seconds=7), ["preloaded"], sleep=sleep)

    assert runtime.image_ready(image("preloaded"))
    assert not runtime.image_ready(image("new"))
    await runtime.prepare_image(image("new"))

    assert sleep.delays == [7]
    assert runtime.image_ready(image("new"))


async def test_a_kernel_takes_the_create_time_then_runs_for_the_run_time() -> None:
    sleep = RecordingSleep()
    runtime = SimulatedRuntime(SimulatedTimings(create_seconds=2, run_seconds=30), sleep=sleep)

    kernel = await runtime.start(_launch())
    exit_code = await kernel.wait()

    assert sleep.delays == [2, 30]
    assert exit_code == 0
    assert kernel.container_id == "simulated-k1"
    assert kernel.pid is None


async def test_without_a_run_time_a_kernel_runs_until_stopped() -> None:
    runtime = SimulatedRuntime(SimulatedTimings(run_seconds=None), sleep=RecordingSleep())
    kernel = await runtime.start(_launch())
    waiter = asyncio.ensure_future(kernel.wait())
    await asyncio.sleep(0)
    assert not waiter.done()

    await kernel.stop(grace=1)

    assert await waiter == STOPPED_EXIT_CODE


async def test_stopping_interrupts_the_run_time() -> None:
    timings = SimulatedTimings(create_seconds=1, run_seconds=3600)
    runtime = SimulatedRuntime(timings, sleep=StallingSleep())
    kernel = await runtime.start(_launch())

    await kernel.stop(grace=1)

    assert await kernel.wait() == STOPPED_EXIT_CODE


async def test_failure_rates_of_one_always_fail_with_a_reason() -> None:
    timings = SimulatedTimings(pull_failure_rate=1, create_failure_rate=1)
    runtime = SimulatedRuntime(timings, sleep=RecordingSleep())

    with pytest.raises(ImagePreparationError, match="simulated pull failure of 'new'"):
        await runtime.prepare_image(image("new"))
    with pytest.raises(KernelStartError, match="simulated creation failure of kernel k1"):
        await runtime.start(_launch())
    assert not runtime.image_ready(image("new"))


async def test_equal_seeds_give_equal_outcomes() -> None:
    async def outcomes(seed: int) -> list[bool]:
        timings = SimulatedTimings(create_failure_rate=0.5, seed=seed)
        runtime = SimulatedRuntime(timings, sleep=RecordingSleep())
        results = []
        for index in range(40):
            try:
                kernel = await runtime.start(_launch(f"k{index}"))
            except KernelStartError:
                results.append(False)
            else:
                kernel.close()
                results.append(True)
        return results

    first, again, other = await outcomes(7), await outcomes(7), await outcomes(8)
    assert first == again
    assert first != other
    assert True in first
    assert False in first


async def test_zero_delays_do_not_sleep() -> None:
    sleep = RecordingSleep()
    runtime = SimulatedRuntime(SimulatedTimings(run_seconds=None), sleep=sleep)

    await runtime.prepare_image(image("new"))
    kernel = await runtime.start(_launch())
    kernel.close()

    assert sleep.delays == []
