"""Round-robin: feasible agents sorted by id, the turn-th one (modulo their number).

The selector advances the turn after every pick and persists it across cycles, so successive
sessions rotate over the agents. The pool keeps the feasible agents of each request shape
in id order, so a pick is a lookup; only a request with agents judged apart (tentative use
by earlier kernels, replica spreading) ranks every agent, because excluding agents changes
which one is the n-th.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from typing import ClassVar

from sokovan.common.ids import AgentId
from sokovan.scheduler.provisioner.selectors.demand import Demand
from sokovan.scheduler.provisioner.selectors.pool import AgentPool
from sokovan.scheduler.provisioner.selectors.state import AgentState, Candidate


class RoundRobinStrategy:
    rotates: ClassVar[bool] = True
    mergeable: ClassVar[bool] = False

    def pick(self, feasible: Sequence[Candidate], demand: Demand, turn: int) -> Candidate:
        ordered = sorted(feasible, key=lambda candidate: candidate.agent_id)
        return ordered[turn % len(ordered)]

    def search(
        self,
        pool: AgentPool,
        demand: Demand,
        max_containers: int | None,
        exclude: Set[AgentId],
        turn: int,
    ) -> AgentState | None:
        feasible = pool.feasible_agents(demand, max_containers)
        return feasible[turn % len(feasible)] if feasible else None
