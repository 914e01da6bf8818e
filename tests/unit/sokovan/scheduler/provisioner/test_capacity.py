"""can_ever_fit: total capacities only; the shortfall is measured against the closest agent."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ClusterMode
from sokovan.repositories.scheduler.snapshot_types import AgentSnapshot
from sokovan.scheduler.provisioner.capacity import (
    FITS,
    FitVerdict,
    KernelDemand,
    can_ever_fit,
    kernel_demands,
)
from unit.sokovan.scheduler.provisioner.snapshot_builders import agent, pending_session, slots

SINGLE, MULTI = ClusterMode.SINGLE_NODE, ClusterMode.MULTI_NODE
GPU = "cuda.device"


def x86(cpu: int, mem: str = "64g", gpu: int = 0) -> ResourceSlot:
    return ResourceSlot({**slots(cpu=cpu, mem=mem), **({GPU: gpu} if gpu else {})})


def kernels(*requests: ResourceSlot, architecture: str = "x86_64") -> list[KernelDemand]:
    return [KernelDemand(architecture, request) for request in requests]


AGENTS = [
    agent("a-16", x86(16)),
    agent("a-32", x86(32)),
    agent("arm-128", x86(128), architecture="aarch64"),
]


@pytest.mark.parametrize(
    ("demands", "mode"),
    [
        (kernels(x86(32)), SINGLE),  # 32 ≤ a-32's 32
        (kernels(x86(16, "16g"), x86(16, "16g")), SINGLE),  # 16 + 16 = 32 on a-32
        (kernels(x86(32), x86(32), x86(32)), MULTI),  # each 32 fits a-32 on its own
        (kernels(x86(100), architecture="aarch64"), SINGLE),  # 100 ≤ arm-128's 128
        ([*kernels(x86(128), architecture="aarch64"), *kernels(x86(32))], MULTI),
        ([], SINGLE),  # nothing to place
    ],
)
def test_requests_that_fit_some_agent(demands: list[KernelDemand], mode: ClusterMode) -> None:
    assert can_ever_fit(demands, AGENTS, mode, None) == FITS


def test_current_occupancy_is_ignored() -> None:
    busy = replace(agent("busy", x86(8)), occupied_slots=x86(8), container_count=30)

    assert can_ever_fit(kernels(x86(8)), [busy], SINGLE, 30).fits


def test_a_request_larger_than_every_agent_names_the_closest_agent() -> None:
    # 64 cpu: a-32 lacks 32, a-16 lacks 48 (arm-128 is the wrong architecture).
    verdict = can_ever_fit(kernels(x86(64)), AGENTS, SINGLE, None)

    assert verdict == FitVerdict(
        fits=False,
        shortfall=ResourceSlot({"cpu": 32}),
        message="the session needs cpu 64 but the closest x86_64 agent, a-32, has cpu 32",
    )


def test_single_node_sums_the_kernels() -> None:
    # 3 × 16 = 48 cpu on one agent; a-32 lacks 16.
    verdict = can_ever_fit(kernels(x86(16, "1g"), x86(16, "1g"), x86(16, "1g")), AGENTS, SINGLE, 8)

    assert verdict.shortfall == ResourceSlot({"cpu": 16})
    assert verdict.message.startswith("the session needs cpu 48 but")


def test_multi_node_names_the_kernel_that_fits_nowhere() -> None:
    verdict = can_ever_fit(kernels(x86(8), x86(40), x86(8)), AGENTS, MULTI, None)

    assert verdict.shortfall == ResourceSlot({"cpu": 8})  # 40 - 32
    assert verdict.message == (
        "kernel 2 of 3 needs cpu 40 but the closest x86_64 agent, a-32, has cpu 32"
    )


@pytest.mark.parametrize(
    ("candidates", "closest"),
    [
        # Fewer short slots wins: cpu-only lacks 1 slot (GPU), small-gpu lacks 2 (cpu, GPU).
        ([agent("cpu-only", x86(64)), agent("small-gpu", x86(4, gpu=1))], "cpu-only"),
        # One short slot each: a lacks 4/8 = 50% of cpu, b lacks 1/2 = 50% of GPU; id decides.
        ([agent("b", x86(8, gpu=1)), agent("a", x86(4, gpu=2))], "a"),
        # One short slot each: c lacks 6/8 = 75% of cpu, d lacks 1/2 = 50% of GPU.
        ([agent("c", x86(2, gpu=2)), agent("d", x86(8, gpu=1))], "d"),
    ],
)
def test_the_closest_agent_is_the_one_missing_least(
    candidates: list[AgentSnapshot], closest: str
) -> None:
    verdict = can_ever_fit(kernels(x86(8, "8g", gpu=2)), candidates, SINGLE, None)

    assert f"agent, {closest}, has" in verdict.message


def test_every_short_slot_is_reported() -> None:
    verdict = can_ever_fit(kernels(x86(64, "128g", gpu=2)), [agent("a", x86(32))], SINGLE, None)

    # cpu 64 - 32 = 32; mem 128g - 64g = 64g; cuda.device 2 - 0 = 2
    assert verdict.shortfall == ResourceSlot({"cpu": 32, "mem": 64 * 2**30, GPU: 2})
    assert verdict.message == (
        "the session needs cpu 64, mem 128g, cuda.device 2 but the closest x86_64 agent, a, "
        "has cpu 32, mem 64g, cuda.device 0"
    )


@pytest.mark.parametrize(
    ("agents", "has"),
    [
        (AGENTS[:2], "only x86_64"),
        ([], "no agents"),
    ],
)
def test_no_agent_of_the_architecture(agents: list[AgentSnapshot], has: str) -> None:
    request = x86(4)

    verdict = can_ever_fit(kernels(request, architecture="riscv64"), agents, SINGLE, None)

    assert verdict.shortfall == request  # nothing of it can be provided
    assert verdict.message == (
        f"the session needs an agent of architecture riscv64, but the scaling group has {has}"
    )


def test_single_node_kernels_of_different_architectures_never_fit() -> None:
    demands = [*kernels(x86(1)), *kernels(x86(1), architecture="aarch64")]

    verdict = can_ever_fit(demands, AGENTS, SINGLE, None)

    assert not verdict.fits
    assert verdict.shortfall == ResourceSlot()
    assert verdict.message == (
        "a single-node session runs on one agent, but its kernels need different "
        "architectures: aarch64, x86_64"
    )


def test_single_node_session_with_more_kernels_than_containers_per_agent() -> None:
    verdict = can_ever_fit(kernels(x86(1), x86(1), x86(1)), AGENTS, SINGLE, 2)

    assert verdict == FitVerdict(
        fits=False,
        shortfall=ResourceSlot(),
        message=(
            "the session needs 3 containers on one agent (one per kernel), "
            "but this scaling group allows at most 2 per agent"
        ),
    )


def test_multi_node_needs_only_one_container_per_agent() -> None:
    assert can_ever_fit(kernels(x86(1), x86(1), x86(1)), AGENTS, MULTI, 1).fits
    assert not can_ever_fit(kernels(x86(1)), AGENTS, MULTI, 0).fits


def test_kernel_demands_of_a_pending_session() -> None:
    session = pending_session(requested=x86(3))

    assert kernel_demands(session) == (KernelDemand("x86_64", x86(3)),)
