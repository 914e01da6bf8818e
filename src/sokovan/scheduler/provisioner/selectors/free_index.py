"""Agents of one bucket (same architecture and capability types) sorted by free capacity.

This is what makes selection sub-linear: instead of ranking every agent per request, a
search bisects to the agents that have enough of the first slot and scans on from there,
skipping whole blocks that lack another slot, until the container count fits too. The same
split counts rejections: every agent short of the first slot is tallied with one bisect.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from functools import partial
from itertools import chain
from operator import ge, le, neg

from sokovan.common.ids import AgentId
from sokovan.scheduler.provisioner.selectors.demand import Demand
from sokovan.scheduler.provisioner.selectors.explain import Tally
from sokovan.scheduler.provisioner.selectors.feasibility import Reason, Rejection, check
from sokovan.scheduler.provisioner.selectors.sorted_blocks import Key, SortedBlocks
from sokovan.scheduler.provisioner.selectors.state import ZERO, AgentState

#: Free amounts of the ordered slots (negated when descending), then the agent's `seq`.
#: Flat and all-Decimal: tuple comparison is the hot operation of every search and update.
FreeKey = Key


class FreeIndex:
    """Agents of one bucket sorted by free capacity of `order`'s slots, ids breaking ties.

    Ascending (least free first) serves concentrated; descending (most free first, stored as
    negated amounts so ties still go to the lowest id) serves dispersed. Agents that can take
    no request of this order are kept aside for the rest of the cycle, since free capacity
    only shrinks and container counts only grow: those at the container limit, and those
    with nothing left of one of the slots (every request searched here asks for a positive
    amount of each), which would otherwise pile up at the front of an ascending order.
    """

    def __init__(
        self,
        members: Iterable[AgentState],
        by_seq: Sequence[AgentState],
        order: tuple[str, ...],
        *,
        descending: bool,
        max_containers: int | None,
    ) -> None:
        self._by_seq = by_seq
        self._order = order
        self._descending = descending
        self._max_containers = max_containers
        self._key_of: dict[AgentId, FreeKey] = {}
        #: Agents that can take no request of this order, out of the sorted keys for good:
        #: those with nothing left of the first slot (every request of the order is short of
        #: it there, so a tally counts them at once), and the others.
        self._short: list[AgentState] = []
        self._spent: list[AgentState] = []
        for state in members:
            if self._admits(state):
                self._key_of[state.agent_id] = self._key(state)
            else:
                self._set_aside(state)
        self._keys = SortedBlocks(list(self._key_of.values()), best=min if descending else max)

    def _admits(self, state: AgentState) -> bool:
        if self._max_containers is not None and state.containers >= self._max_containers:
            return False
        free = state.free
        # A loop rather than all(…): twice as fast for the few slots of an order.
        for slot in self._order:  # noqa: SIM110
            if not free.get(slot, ZERO) > ZERO:
                return False
        return True

    def _key(self, state: AgentState) -> FreeKey:
        free = state.free
        if self._descending:
            return (*[-free.get(slot, ZERO) for slot in self._order], state.seq)
        return (*[free.get(slot, ZERO) for slot in self._order], state.seq)

    def agent(self, key: FreeKey) -> AgentState:
        return self._by_seq[int(key[-1])]

    def update(self, state: AgentState) -> None:
        """Re-position `state` after its free capacity or container count changed."""
        old = self._key_of.get(state.agent_id)
        if old is None:
            return  # already spent, and stays so
        if self._admits(state):
            key = self._key_of[state.agent_id] = self._key(state)
            self._keys.replace(old, key)
        else:
            del self._key_of[state.agent_id]
            self._keys.remove(old)
            self._set_aside(state)

    def _set_aside(self, state: AgentState) -> None:
        if self._order and not state.free.get(self._order[0], ZERO) > ZERO:
            self._short.append(state)
        else:
            self._spent.append(state)

    def first_fit(self, demand: Demand, exclude: Set[AgentId]) -> FreeKey | None:
        """The smallest key whose agent can take `demand`, skipping `exclude`.

        The architecture is the bucket's, so only resources and containers are checked.
        Comparing a key with the amounts stops at the shorter, so `seq` is never compared.
        """
        # Indexed agents have room for one more container; only the rest needs a look.
        if not exclude and demand.containers <= 1:
            accept = _anything
        else:
            accept = partial(self._has_room, demand=demand, exclude=exclude)
        amounts = demand.amounts
        if not amounts:
            return self._keys.search((), ge, accept)
        if self._descending:
            bounds = tuple(map(neg, amounts))
            return self._keys.search(bounds, le, accept, first_until=bounds[0])
        return self._keys.search(amounts, ge, accept, first_from=amounts[0])

    def _has_room(self, key: FreeKey, *, demand: Demand, exclude: Set[AgentId]) -> bool:
        state = self.agent(key)
        if state.agent_id in exclude:
            return False
        limit = self._max_containers
        return limit is None or state.containers + demand.containers <= limit

    def tally_into(self, demand: Demand, tally: Tally) -> None:
        """Count why each agent of the bucket rejects `demand`, as `check` would say.

        Agents short of the first slot are counted at once; the others one by one.
        """
        if self._short:
            most = max(state.free.get(demand.order[0], ZERO) for state in self._short)
            tally.add(Rejection(Reason.RESOURCES, demand.order[0], most), len(self._short))
        keys, total = self._keys, len(self._keys)
        low, high = 0, total
        if demand.amounts and self._descending:
            high = keys.position(-demand.amounts[0], right=True)
            if high < total:
                most = -keys.at(high)[0]
                tally.add(Rejection(Reason.RESOURCES, demand.order[0], most), total - high)
        elif demand.amounts:
            low = keys.position(demand.amounts[0], right=False)
            if low:
                most = keys.at(low - 1)[0]
                tally.add(Rejection(Reason.RESOURCES, demand.order[0], most), low)
        others = chain((self.agent(key) for key in keys.between(low, high)), self._spent)
        for state in others:
            rejection = check(state, None, demand, self._max_containers)
            if rejection is not None:
                tally.add(rejection)


def _anything(key: FreeKey) -> bool:
    return True
