"""Turn per-agent rejections into one error a user can act on.

"0/12 agents fit: 8 insufficient cuda.shares (need 2, most free 1.5), 3 architecture
mismatch (need aarch64), 1 container limit (max 8); ..." — the tally shows which resource is
short and by how much, so the owner knows whether to shrink the request or wait.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sokovan.common.ids import AgentId
from sokovan.scheduler.provisioner.errors import (
    AgentSelectionRejection,
    ContainerLimitExceededError,
    InsufficientResourcesError,
    NoAvailableAgentError,
    NoCompatibleAgentError,
)
from sokovan.scheduler.provisioner.selectors.demand import Demand
from sokovan.scheduler.provisioner.selectors.feasibility import Reason, Rejection

_HINTS = {
    Reason.NOT_IN_POOL: "designate agents that are alive and schedulable in this scaling group",
    Reason.ARCHITECTURE: "use an image built for an architecture this scaling group runs",
    Reason.RESOURCES: "request fewer resources or wait for running sessions to finish",
    Reason.CONTAINERS: "wait for running sessions to finish",
}
_NAMED_AGENTS = 5


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why no agent could take a request: the error type and its message."""

    error: type[AgentSelectionRejection]
    message: str

    def to_error(self, context: str = "") -> AgentSelectionRejection:
        """A fresh exception (re-raising one instance would keep growing its traceback)."""
        return self.error(f"{context}{self.message}")


class Tally:
    """Rejections counted per reason (per slot for resources), with the most free per slot."""

    __slots__ = ("counts", "most_free")

    def __init__(self) -> None:
        self.counts: Counter[tuple[Reason, str | None]] = Counter()
        self.most_free: dict[str, Decimal] = {}

    def add(self, rejection: Rejection, count: int = 1) -> None:
        """Count `count` agents rejected like this (`free` is the most any of them had)."""
        slot, free = rejection.slot, rejection.free
        self.counts[(rejection.reason, slot)] += count
        if slot is not None and free is not None:
            known = self.most_free.get(slot)
            if known is None or free > known:
                self.most_free[slot] = free


def explain(
    tally: Tally,
    demand: Demand,
    max_containers: int | None,
    designated: Sequence[AgentId] | None = None,
) -> Explanation:
    """Turn the tally of every agent considered into an error of the most specific type."""
    counts = tally.counts
    if not counts:
        return Explanation(
            NoAvailableAgentError,
            "the scaling group has no schedulable agent; add agents or wait for them to return",
        )
    ranked = sorted(counts.items(), key=lambda item: (-item[1], list(Reason).index(item[0][0])))
    parts = [
        _describe(reason, slot, count, demand, max_containers, tally.most_free)
        for (reason, slot), count in ranked
    ]
    hint = _HINTS[ranked[0][0][0]]
    message = f"{_header(counts.total(), designated)}: {', '.join(parts)}; {hint}"
    return Explanation(_error_type({reason for reason, _ in counts}), message)


def _header(total: int, designated: Sequence[AgentId] | None) -> str:
    if designated is None:
        return f"0/{total} agents fit"
    names = ", ".join(designated[:_NAMED_AGENTS])
    if len(designated) > _NAMED_AGENTS:
        names += f" and {len(designated) - _NAMED_AGENTS} more"
    return f"0/{total} designated agents ({names}) fit, other agents are not considered"


def _describe(
    reason: Reason,
    slot: str | None,
    count: int,
    demand: Demand,
    max_containers: int | None,
    most_free: dict[str, Decimal],
) -> str:
    if reason is Reason.RESOURCES and slot is not None:
        need, most = _number(demand.amount_of(slot)), _number(most_free[slot])
        return f"{count} insufficient {slot} (need {need}, most free {most})"
    if reason is Reason.ARCHITECTURE:
        return f"{count} architecture mismatch (need {demand.architecture})"
    if reason is Reason.CONTAINERS:
        room = f", need room for {demand.containers}" if demand.containers > 1 else ""
        return f"{count} container limit (max {max_containers}{room})"
    return f"{count} not schedulable in this scaling group"


def _number(amount: Decimal) -> str:
    """'2.50' → '2.5', '4E+9' → '4000000000'."""
    return format(amount.normalize(), "f") if amount else "0"


def _error_type(reasons: set[Reason]) -> type[AgentSelectionRejection]:
    if reasons <= {Reason.ARCHITECTURE, Reason.NOT_IN_POOL}:
        return NoCompatibleAgentError
    if Reason.RESOURCES in reasons:
        return InsufficientResourcesError
    return ContainerLimitExceededError
