"""Concentrated: pack work onto the agents with the least room left.

Among feasible agents: fewest unused capability types (keep GPU nodes for GPU work), then the
LEAST free capacity of the requested slots in resource-priority order, then agent id. Whole
agents stay empty for large requests, and idle agents can be scaled in.
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


class ConcentratedStrategy(RankedStrategy):
    def rank(self, candidate: Candidate, demand: Demand) -> Rank:
        free = tuple(candidate.free(slot) for slot in demand.order)
        return unused_capabilities(candidate.state, demand), free, candidate.agent_id

    def search(
        self,
        pool: AgentPool,
        demand: Demand,
        max_containers: int | None,
        exclude: Set[AgentId],
        turn: int,
    ) -> AgentState | None:
        return search_free_indexes(pool, demand, max_containers, exclude, descending=False)
