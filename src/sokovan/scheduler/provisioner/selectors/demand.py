"""A placement request normalised once, so that hot loops compare plain tuples of Decimals."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple

from sokovan.common.resource_slot import ResourceSlot


class Demand(NamedTuple):
    """What must fit on ONE agent: one kernel, or all kernels of a single-node session.

    A NamedTuple rather than a frozen dataclass: one is built per decision on the hot path,
    and tuple construction is several times cheaper.
    """

    architecture: str
    #: The requested (nonzero) slots: resource-priority slots first, in priority order, then
    #: the others by name. Every ranking compares free capacity in this order.
    order: tuple[str, ...]
    #: The requested amount of each slot of `order`.
    amounts: tuple[Decimal, ...]
    #: Containers the request adds to the agent (the number of kernels).
    containers: int
    names: frozenset[str]
    #: Equal for requests that are feasible on exactly the same agents (the failure cache
    #: and per-shape cursors look it up once per decision, so it is built once).
    key: Hashable

    def amount_of(self, slot: str) -> Decimal:
        return self.amounts[self.order.index(slot)]


class DemandBuilder:
    """Builds demands for one resource priority, each distinct request once.

    A backlog repeats a few dozen request shapes thousands of times, so a demand is looked up
    by the request's (slot, amount) pairs before it is built. Equal amounts spelt differently
    (1 and 1.0) share one demand: every use of a demand compares amounts by value.
    """

    def __init__(self, priority: Sequence[str]) -> None:
        self._rank = {slot: position for position, slot in enumerate(priority)}
        self._layouts: dict[tuple[str, ...], tuple[tuple[str, ...], frozenset[str]]] = {}
        self._built: dict[Hashable, Demand] = {}

    def build(self, architecture: str, slots: ResourceSlot, containers: int) -> Demand:
        request = (architecture, containers, tuple(slots.items()))
        demand = self._built.get(request)
        if demand is None:
            demand = self._built[request] = self._build(architecture, slots, containers)
        return demand

    def _build(self, architecture: str, slots: ResourceSlot, containers: int) -> Demand:
        # One copy of the slots; requests of the same layout share the sorted order.
        requested = dict(slots.items())
        if not all(requested.values()):
            requested = {slot: amount for slot, amount in requested.items() if amount}
        layout = tuple(requested)
        known = self._layouts.get(layout)
        if known is None:
            known = self._layouts[layout] = self._order(requested), frozenset(requested)
        order, names = known
        amounts = tuple(map(requested.__getitem__, order))
        key = (architecture, order, amounts, containers)
        return Demand(architecture, order, amounts, containers, names, key)

    def _order(self, names: Iterable[str]) -> tuple[str, ...]:
        unranked = len(self._rank)
        return tuple(sorted(names, key=lambda slot: (self._rank.get(slot, unranked), slot)))
