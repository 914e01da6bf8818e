"""What an agent-selection strategy is, and the indexed search the ranked ones share.

`pick` is the definition of a strategy (a brute-force choice among feasible candidates);
`search` is the fast path and must choose exactly what `pick` would among all agents of the
pool that are not excluded. Tests hold the two against each other.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence, Set
from decimal import Decimal
from typing import ClassVar, Protocol

from sokovan.common.ids import AgentId
from sokovan.scheduler.provisioner.selectors.demand import Demand
from sokovan.scheduler.provisioner.selectors.free_index import FreeIndex, FreeKey
from sokovan.scheduler.provisioner.selectors.pool import AgentPool
from sokovan.scheduler.provisioner.selectors.state import AgentState, Candidate

#: (unused capability types, per-slot amounts compared in demand order, agent id): smaller wins.
Rank = tuple[int, tuple[Decimal, ...], str]


class Strategy(Protocol):
    """Chooses one agent; `pick` defines the choice, `search` finds it fast in a pool."""

    #: True when every pick consumes a turn (round-robin), so the selector advances its index.
    rotates: ClassVar[bool]
    #: True when the choice is a total order on agents, so the result of `search` over the
    #: agents outside `exclude` can be merged with the excluded ones through `pick`.
    mergeable: ClassVar[bool]

    def pick(self, feasible: Sequence[Candidate], demand: Demand, turn: int) -> Candidate:
        """Choose among feasible, equally preferred candidates (never empty)."""
        ...

    def search(
        self,
        pool: AgentPool,
        demand: Demand,
        max_containers: int | None,
        exclude: Set[AgentId],
        turn: int,
    ) -> AgentState | None:
        """What `pick` would choose among the pool's agents outside `exclude` (judged on
        reserved state, nothing held), or None when none is feasible. A strategy that is not
        `mergeable` is only asked with an empty `exclude`."""
        ...


class RankedStrategy(ABC):
    """A strategy that is a total order on agents (`rank`), searchable through indexes."""

    rotates: ClassVar[bool] = False
    mergeable: ClassVar[bool] = True

    def pick(self, feasible: Sequence[Candidate], demand: Demand, turn: int) -> Candidate:
        return min(feasible, key=lambda candidate: self.rank(candidate, demand))

    @abstractmethod
    def rank(self, candidate: Candidate, demand: Demand) -> Rank:
        """The sort key of `candidate` for `demand`; the smallest feasible one is chosen."""

    @abstractmethod
    def search(
        self,
        pool: AgentPool,
        demand: Demand,
        max_containers: int | None,
        exclude: Set[AgentId],
        turn: int,
    ) -> AgentState | None: ...


def unused_capabilities(state: AgentState, demand: Demand) -> int:
    """Capability types of the agent the request leaves idle (a CPU job on a GPU node: 1)."""
    return len(state.capabilities - demand.names)


def search_free_indexes(
    pool: AgentPool,
    demand: Demand,
    max_containers: int | None,
    exclude: Set[AgentId],
    *,
    descending: bool,
) -> AgentState | None:
    """Least (or most) free capacity first, within the first group of buckets that has a fit.

    Buckets of a group leave the same number of capability types unused, so their best keys
    are directly comparable.
    """
    groups = pool.free_index_groups(demand, descending=descending, max_containers=max_containers)
    for group in groups:
        best: tuple[FreeKey, FreeIndex] | None = None
        for index in group.indexes():
            key = index.first_fit(demand, exclude)
            if key is not None and (best is None or key < best[0]):
                best = key, index
        if best is not None:
            return best[1].agent(best[0])
    return None
