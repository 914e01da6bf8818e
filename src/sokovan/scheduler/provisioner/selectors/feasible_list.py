"""The agents able to take one request shape, kept current as reservations fill them.

Round-robin needs the n-th feasible agent in id order, which no sorted-by-capacity index
gives. Within a cycle capacity only shrinks, so an agent only ever LEAVES this list: each
reservation re-checks just the reserved agent, and a pick is a list lookup.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

from sokovan.scheduler.provisioner.selectors.demand import Demand
from sokovan.scheduler.provisioner.selectors.feasibility import check
from sokovan.scheduler.provisioner.selectors.state import AgentState


class FeasibleList:
    def __init__(
        self, states: Iterable[AgentState], demand: Demand, max_containers: int | None
    ) -> None:
        self._demand = demand
        self._max_containers = max_containers
        #: The feasible agents, in id order (the order of `states`).
        self.members = [s for s in states if check(s, None, demand, max_containers) is None]
        self._ids = [state.agent_id for state in self.members]

    def update(self, state: AgentState) -> None:
        """Drop `state` if a reservation has made it unable to take the shape."""
        at = bisect_left(self._ids, state.agent_id)
        if at == len(self._ids) or self._ids[at] != state.agent_id:
            return
        if check(state, None, self._demand, self._max_containers) is not None:
            del self._ids[at], self.members[at]
