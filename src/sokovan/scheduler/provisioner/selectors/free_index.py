"""Agents of one bucket (same architecture and capability types) sorted by free capacity.

This is what makes selection sub-linear: instead of ranking every agent per request, a
search bisects to the agents that have enough of the first slot and scans on from there,
skipping whole blocks that lack another slot, until the container count fits too. The same
split counts rejections: every agent short of the first slot is tallied with one bisect.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from decimal import Decimal
from functools import partial
from itertools import chain
from operator import ge, itemgetter, le

from sokovan.common.ids import AgentId
from sokovan.scheduler.provisioner.selectors.agent_states import AgentStates
from sokovan.scheduler.provisioner.selectors.demand import Demand
from sokovan.scheduler.provisioner.selectors.explain import Tally
from sokovan.scheduler.provisioner.selectors.feasibility import Reason, Rejection, check
from sokovan.scheduler.provisioner.selectors.sorted_blocks import Key, SortedBlocks
from sokovan.scheduler.provisioner.selectors.state import ZERO, AgentState
from sokovan.scheduler.provisioner.selectors.units import SlotUnits

#: Free amounts of the ordered slots in units (negated when descending), then the agent's
#: `seq`. Flat and all-int: tuple comparison is the hot operation of every search and update.
FreeKey = Key

_SEQ = itemgetter(-1)


class FreeIndex:
    """Agents of one bucket sorted by free capacity of `order`'s slots, ids breaking ties.

    Ascending (least free first) serves concentrated; descending (most free first, stored as
    negated amounts so ties still go to the lowest id) serves dispersed. Agents that can take
    no request of this order are kept aside for the rest of the cycle, since free capacity
    only shrinks and container counts only grow: those at the container limit, and those
    with nothing left of one of the slots (every request searched here asks for a positive
    amount of each), which would otherwise pile up at the front of an ascending order.

    Keys are in `units`, which must cover every member's free amount of `order`'s slots; an
    update whose new amount is finer raises `FinerThanUnit`, and the index is then stale.
    """

    def __init__(
        self,
        members: Sequence[int],
        states: AgentStates,
        order: tuple[str, ...],
        units: SlotUnits,
        *,
        descending: bool,
        max_containers: int | None,
    ) -> None:
        self._states = states
        self._order = order
        self._units = units
        #: Per slot of `order`: the slot and its memo of images in units.
        self._tables = tuple((slot, units.table(slot)) for slot in order)
        self._descending = descending
        self._max_containers = max_containers
        #: Search bounds per requested amounts (of `order`'s slots): a backlog repeats few.
        self._bounds_of: dict[tuple[Decimal, ...], Key] = {}
        #: The seqs of agents that can take no request of this order, out of the sorted keys
        #: for good: those with nothing left of the first slot (every request of the order is
        #: short of it there, so a tally counts them at once), and the others.
        self._short: list[int] = []
        self._spent: list[int] = []
        keys = self._keys_of(members)
        #: The key of every indexed agent, by seq.
        self._key_of: dict[int, FreeKey] = dict(zip(map(_SEQ, keys), keys, strict=True))
        self._keys = SortedBlocks(keys, best=min if descending else max)

    def _keys_of(self, members: Sequence[int]) -> list[FreeKey]:
        """`_key` of every member that has one, a slot at a time (a pass per column costs a
        fraction of a call per agent, and every cycle builds its indexes anew); the others
        are set aside."""
        seqs = list(members)
        short: set[int] = set()
        spent: set[int] = set()
        columns: list[list[int]] = []
        for slot, table in self._tables:
            amounts = self._states.free_column(seqs, slot)
            try:
                column = list(map(table.__getitem__, amounts))
            except KeyError:  # amounts not seen before (in the first index of the slot)
                for amount in set(amounts).difference(table):
                    self._units.of(slot, amount)  # fills the table, or raises FinerThanUnit
                column = list(map(table.__getitem__, amounts))
            # Units are positive exactly when the amount is.
            if column and min(column) <= 0:
                empty = (seq for seq, units in zip(seqs, column, strict=True) if units <= 0)
                (spent if columns else short).update(empty)
            columns.append([-units for units in column] if self._descending else column)
        limit = self._max_containers
        if limit is not None:
            counts = self._states.container_counts(seqs)
            spent.update(seq for seq, count in zip(seqs, counts, strict=True) if count >= limit)
        keys = list(zip(*columns, seqs, strict=True))
        if not short and not spent:
            return keys
        spent -= short
        self._short = [seq for seq in seqs if seq in short]
        self._spent = [seq for seq in seqs if seq in spent]
        aside = short | spent
        return [key for key in keys if key[-1] not in aside]

    def _key(self, state: AgentState) -> FreeKey | None:
        """The agent's key, or None when it can take no request of this order."""
        if self._max_containers is not None and state.containers >= self._max_containers:
            return None
        free = state.free
        key = []
        for slot, table in self._tables:
            amount = free.get(slot, ZERO)
            if not amount > ZERO:
                return None
            units = table.get(amount)
            if units is None:
                units = self._units.of(slot, amount)
            key.append(-units if self._descending else units)
        key.append(state.seq)
        return tuple(key)

    def agent(self, key: FreeKey) -> AgentState:
        return self._states[key[-1]]

    def update(self, state: AgentState) -> None:
        """Re-position `state` after its free capacity or container count changed."""
        old = self._key_of.get(state.seq)
        if old is None:
            return  # already spent, and stays so
        key = self._key(state)
        if key is None:
            del self._key_of[state.seq]
            self._keys.remove(old)
            if self._order and not state.free.get(self._order[0], ZERO) > ZERO:
                self._short.append(state.seq)
            else:
                self._spent.append(state.seq)
        else:
            self._key_of[state.seq] = key
            self._keys.replace(old, key)

    def first_fit(self, demand: Demand, exclude: Set[AgentId]) -> FreeKey | None:
        """The smallest key whose agent can take `demand`, skipping `exclude`.

        The architecture is the bucket's, so only resources and containers are checked.
        Comparing a key with the bounds stops at the shorter, so `seq` is never compared.
        """
        # Indexed agents have room for one more container; only the rest needs a look.
        if not exclude and demand.containers <= 1:
            accept = _anything
        else:
            accept = partial(self._has_room, demand=demand, exclude=exclude)
        if not demand.amounts:
            return self._keys.search((), ge, accept)
        bounds = self._bounds(demand)
        if self._descending:
            return self._keys.search(bounds, le, accept, first_until=bounds[0])
        return self._keys.search(bounds, ge, accept, first_from=bounds[0])

    def _bounds(self, demand: Demand) -> Key:
        """The demand in units: free ≥ amount exactly when free's units ≥ these."""
        bounds = self._bounds_of.get(demand.amounts)
        if bounds is None:
            at_least = self._units.at_least
            sign = -1 if self._descending else 1
            bounds = self._bounds_of[demand.amounts] = tuple(
                sign * at_least(slot, amount)
                for slot, amount in zip(demand.order, demand.amounts, strict=True)
            )
        return bounds

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
            most = max(self._states.free_column(self._short, demand.order[0]))
            tally.add(Rejection(Reason.RESOURCES, demand.order[0], most), len(self._short))
        keys, total = self._keys, len(self._keys)
        low, high = 0, total
        if demand.amounts:
            first_slot, first_bound = demand.order[0], self._bounds(demand)[0]
            if self._descending:
                high = keys.position(first_bound, right=True)
                if high < total:
                    most = self.agent(keys.at(high)).free[first_slot]
                    tally.add(Rejection(Reason.RESOURCES, first_slot, most), total - high)
            else:
                low = keys.position(first_bound, right=False)
                if low:
                    most = self.agent(keys.at(low - 1)).free[first_slot]
                    tally.add(Rejection(Reason.RESOURCES, first_slot, most), low)
        spent = map(self._states.__getitem__, self._spent)
        others = chain((self.agent(key) for key in keys.between(low, high)), spent)
        for state in others:
            rejection = check(state, None, demand, self._max_containers)
            if rejection is not None:
                tally.add(rejection)


def _anything(key: FreeKey) -> bool:
    return True
