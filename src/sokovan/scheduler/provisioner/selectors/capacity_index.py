"""A static order over one bucket of agents, searched with per-shape skip cursors (legacy)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Set

from sokovan.common.ids import AgentId
from sokovan.scheduler.provisioner.selectors.demand import Demand
from sokovan.scheduler.provisioner.selectors.feasibility import check
from sokovan.scheduler.provisioner.selectors.state import AgentState


class CapacityIndex:
    """Agents of one bucket in a static order (e.g. by total capacity), with skip cursors.

    Free capacity only shrinks and container counts only grow within a cycle, so an agent
    that cannot take a request shape never can again: a cursor per shape skips the leading
    run of such agents, making repeated searches amortised O(1).
    """

    def __init__(self, ordered: Iterable[AgentState]) -> None:
        self._members = tuple(ordered)
        self._cursors: dict[Hashable, int] = {}

    def first_fit(
        self, demand: Demand, max_containers: int | None, exclude: Set[AgentId]
    ) -> AgentState | None:
        """The first agent in order that can take `demand`, skipping `exclude`."""
        shape = (demand.key, max_containers)
        cursor = self._cursors.get(shape, 0)
        advancing = True
        found = None
        for position in range(cursor, len(self._members)):
            state = self._members[position]
            if check(state, None, demand, max_containers) is not None:
                if advancing:
                    cursor = position + 1
            elif state.agent_id in exclude:
                advancing = False  # excluded agents are judged elsewhere; keep them in view
            else:
                found = state
                break
        self._cursors[shape] = cursor
        return found
