"""Legacy: the biggest machines first, regardless of their current load.

Among feasible agents: fewest unused capability types, then the most TOTAL (available)
capacity of the requested slots in resource-priority order, then agent id. Unlike dispersed,
which ranks by what is free now, this order never changes within a cycle: the largest agent
keeps taking work until it is full, then the next largest. For installations that want their
biggest machines to absorb work first, whatever those already run.
"""

from __future__ import annotations

from collections.abc import Set

from sokovan.common.ids import AgentId
from sokovan.scheduler.provisioner.selectors.demand import Demand
from sokovan.scheduler.provisioner.selectors.pool import AgentPool
from sokovan.scheduler.provisioner.selectors.state import (
    AgentState,
    Candidate,
    most_capacity_first,
)
from sokovan.scheduler.provisioner.selectors.strategy import (
    Rank,
    RankedStrategy,
    unused_capabilities,
)


class LegacyStrategy(RankedStrategy):
    def rank(self, candidate: Candidate, demand: Demand) -> Rank:
        capacity, agent_id = most_capacity_first(candidate.state, demand.order)
        return unused_capabilities(candidate.state, demand), capacity, agent_id

    def search(
        self,
        pool: AgentPool,
        demand: Demand,
        max_containers: int | None,
        exclude: Set[AgentId],
        turn: int,
    ) -> AgentState | None:
        for group in pool.capacity_index_groups(demand):
            found = [
                state
                for index in group
                if (state := index.first_fit(demand, max_containers, exclude)) is not None
            ]
            if found:
                return min(found, key=lambda state: most_capacity_first(state, demand.order))
        return None
