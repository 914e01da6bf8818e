"""Could this request *ever* be placed in the scaling group, were every agent empty?

Placement failures are usually temporary (agents are busy); `can_ever_fit` tells them apart
from the permanent ones (a request larger than any agent), so the latter can be refused or
explained at once instead of waiting in the queue forever. It looks at total capacities
(`available_slots`), never at current occupancy, and is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from operator import add

from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ClusterMode
from sokovan.repositories.scheduler.snapshot_types import AgentSnapshot, PendingSession
from sokovan.scheduler.provisioner.validators.slot_limits import format_amount


@dataclass(frozen=True, slots=True)
class KernelDemand:
    """What one kernel needs from the agent that runs it."""

    architecture: str
    slots: ResourceSlot


@dataclass(frozen=True, slots=True)
class FitVerdict:
    fits: bool
    #: Per slot, how much the request exceeds the closest candidate agent; empty when it fits
    #: or when the obstacle is not an amount (architecture, container limit).
    shortfall: ResourceSlot
    #: Why it can never fit, for the session's owner; empty when it fits.
    message: str


FITS = FitVerdict(fits=True, shortfall=ResourceSlot(), message="")


def kernel_demands(session: PendingSession) -> tuple[KernelDemand, ...]:
    return tuple(KernelDemand(k.architecture, k.requested_slots) for k in session.kernels)


def can_ever_fit(
    kernels: Sequence[KernelDemand],
    agents: Sequence[AgentSnapshot],
    cluster_mode: ClusterMode,
    max_container_count: int | None,
) -> FitVerdict:
    """Whether `kernels` fit the total capacity of `agents` (pass designated agents only, if any).

    Single-node: every kernel on one agent, so one architecture, the summed slots on one agent,
    and as many containers as kernels. Multi-node: each kernel must fit on its own some agent
    of its architecture. `max_container_count` is the per-agent container limit (None: none).
    """
    if cluster_mode is ClusterMode.SINGLE_NODE:
        return _single_node(kernels, agents, max_container_count)
    return _multi_node(kernels, agents, max_container_count)


def _single_node(
    kernels: Sequence[KernelDemand],
    agents: Sequence[AgentSnapshot],
    max_container_count: int | None,
) -> FitVerdict:
    architectures = sorted({kernel.architecture for kernel in kernels})
    if len(architectures) > 1:
        return _never(
            "a single-node session runs on one agent, but its kernels need different "
            f"architectures: {', '.join(architectures)}"
        )
    if max_container_count is not None and len(kernels) > max_container_count:
        needed = "1 container" if len(kernels) == 1 else f"{len(kernels)} containers"
        return _never(
            f"the session needs {needed} on one agent (one per kernel), "
            f"but this scaling group allows at most {max_container_count} per agent"
        )
    if not kernels:
        return FITS
    total = reduce(add, (kernel.slots for kernel in kernels), ResourceSlot())
    return _fit_on_one_agent("the session", total, architectures[0], agents)


def _multi_node(
    kernels: Sequence[KernelDemand],
    agents: Sequence[AgentSnapshot],
    max_container_count: int | None,
) -> FitVerdict:
    if kernels and max_container_count is not None and max_container_count < 1:
        return _never("this scaling group allows no containers on its agents")
    for index, kernel in enumerate(kernels, start=1):
        subject = f"kernel {index} of {len(kernels)}"
        verdict = _fit_on_one_agent(subject, kernel.slots, kernel.architecture, agents)
        if not verdict.fits:
            return verdict
    return FITS


def _fit_on_one_agent(
    subject: str, request: ResourceSlot, architecture: str, agents: Sequence[AgentSnapshot]
) -> FitVerdict:
    candidates = [agent for agent in agents if agent.architecture == architecture]
    if not candidates:
        present = sorted({agent.architecture for agent in agents})
        has = f"only {', '.join(present)}" if present else "no agents"
        return FitVerdict(
            fits=False,
            shortfall=ResourceSlot({slot: amount for slot, amount in request.items() if amount}),
            message=(
                f"{subject} needs an agent of architecture {architecture}, "
                f"but the scaling group has {has}"
            ),
        )
    if any(request.fits_in(agent.available_slots) for agent in candidates):
        return FITS
    closest = min(candidates, key=lambda agent: _distance(request, agent))
    shortfall = request.shortfall(closest.available_slots)
    needs = _describe(request, shortfall)
    has = _describe(closest.available_slots, shortfall)
    return FitVerdict(
        fits=False,
        shortfall=shortfall,
        message=(
            f"{subject} needs {needs} but the closest {architecture} agent, "
            f"{closest.agent_id}, has {has}"
        ),
    )


def _distance(request: ResourceSlot, agent: AgentSnapshot) -> tuple[int, Decimal, str]:
    """Fewest short slots first, then the smallest missing fraction; agent id breaks ties."""
    shortfall = request.shortfall(agent.available_slots)
    missing = sum((amount / request[slot] for slot, amount in shortfall.items()), Decimal(0))
    return (len(shortfall), missing, agent.agent_id)


def _describe(slots: ResourceSlot, which: ResourceSlot) -> str:
    return ", ".join(f"{slot} {format_amount(slot, slots.amount(slot))}" for slot in which)


def _never(message: str) -> FitVerdict:
    return FitVerdict(fits=False, shortfall=ResourceSlot(), message=message)
