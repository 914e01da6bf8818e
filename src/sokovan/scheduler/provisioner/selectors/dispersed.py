"""Dispersed: spread work over the agents with the most room left.

Among feasible agents: fewest unused capability types, then the MOST free capacity of the
requested slots in resource-priority order, then agent id. Load (and the blast radius of a
failing agent) is balanced, at the cost of fragmenting capacity.
"""

from __future__ import annotations

from collections.abc import Set

from sokovan.common.ids import AgentId
from sokovan.scheduler.provisioner.selectors.demand import Demand
from sokovan.scheduler.provisioner.selectors.pool import AgentPool
from sokovan.scheduler.provisioner.selectors.state import AgentState, Candidate
from sokovan.scheduler.provisioner.selectors.strategy import (
    Rank,
    RankedStrategy,
    search_free_indexes,
    unused_capabilities,
)


class DispersedStrategy(RankedStrategy):
    def rank(self, candidate: Candidate, demand: Demand) -> Rank:
        most_free_first = tuple(-candidate.free(slot) for slot in demand.order)
        return unused_capabilities(candidate.state, demand), most_free_first, candidate.agent_id

    def search(
        self,
        pool: AgentPool,
        demand: Demand,
        max_containers: int | None,
        exclude: Set[AgentId],
        turn: int,
    ) -> AgentState | None:
        return search_free_indexes(pool, demand, max_containers, exclude, descending=True)
