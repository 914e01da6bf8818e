"""The feasibility filters, in order: architecture, resources, container count.

Each rejection carries a reason code (and for resources the slot and what was free), so a
failure can be explained by tallying them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sokovan.scheduler.provisioner.selectors.demand import Demand
from sokovan.scheduler.provisioner.selectors.state import AgentState, Held, free_amount


class Reason(StrEnum):
    NOT_IN_POOL = "not-in-pool"  #: a designated agent that is not schedulable in the group
    ARCHITECTURE = "architecture"  #: the image's architecture differs from the agent's
    RESOURCES = "resources"  #: some requested slot exceeds the agent's free capacity
    CONTAINERS = "containers"  #: the agent would exceed max_container_count


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: Reason
    #: For RESOURCES: the first slot (in demand order) that does not fit, and what was free.
    slot: str | None = None
    free: Decimal | None = None


NOT_IN_POOL = Rejection(Reason.NOT_IN_POOL)
ARCHITECTURE_MISMATCH = Rejection(Reason.ARCHITECTURE)
_CONTAINERS = Rejection(Reason.CONTAINERS)


def check(
    state: AgentState, held: Held | None, demand: Demand, max_containers: int | None
) -> Rejection | None:
    """The first filter `state` fails for `demand`, or None when the agent can take it."""
    if state.architecture != demand.architecture:
        return ARCHITECTURE_MISMATCH
    for slot, need in zip(demand.order, demand.amounts, strict=True):
        have = free_amount(state, held, slot)
        if have < need:
            return Rejection(Reason.RESOURCES, slot, have)
    if max_containers is not None:
        already = state.containers + (0 if held is None else held.containers)
        if already + demand.containers > max_containers:
            return _CONTAINERS
    return None
