"""The agents of one scaling group for one cycle, indexed for fast selection.

A pool lives for ONE cycle: `reserve` only ever takes capacity away, which is what lets the
indexes skip agents for good and lets failures be cached by request shape.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from operator import attrgetter
from typing import TypeVar

from sokovan.common.ids import AgentId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.repositories.scheduler.snapshot_types import AgentSnapshot
from sokovan.scheduler.provisioner.selectors.capacity_index import CapacityIndex
from sokovan.scheduler.provisioner.selectors.demand import Demand
from sokovan.scheduler.provisioner.selectors.explain import Explanation, Tally
from sokovan.scheduler.provisioner.selectors.feasibility import ARCHITECTURE_MISMATCH
from sokovan.scheduler.provisioner.selectors.feasible_list import FeasibleList
from sokovan.scheduler.provisioner.selectors.free_index import FreeIndex
from sokovan.scheduler.provisioner.selectors.state import ZERO, AgentState, most_capacity_first
from sokovan.scheduler.provisioner.selectors.types import AgentSelection
from sokovan.scheduler.provisioner.selectors.units import FinerThanUnit, SlotUnits

#: Agents sharing an architecture and a set of capability types.
BucketKey = tuple[str, frozenset[str]]
#: Buckets able to serve a demand, grouped by how many capability types they leave unused
#: (fewest first); the caller ranks within a group and stops at the first group with a fit.
Groups = tuple[tuple[BucketKey, ...], ...]
#: (bucket, slot order, descending, max_containers)
FreeIndexKey = tuple[BucketKey, tuple[str, ...], bool, int | None]
T = TypeVar("T")


def _state_of(agent: AgentSnapshot, seq: int) -> AgentState:
    available = agent.available_slots
    free = dict(available.items())
    capabilities = frozenset([slot for slot, amount in free.items() if amount > 0])
    occupied = agent.occupied_slots
    if occupied:
        for slot, amount in occupied.items():
            free[slot] = free.get(slot, ZERO) - amount
    return AgentState(
        agent.agent_id,
        agent.addr,
        agent.architecture,
        capabilities,
        available,
        free,
        agent.container_count,
        seq,
    )


class IndexGroup:
    """Free indexes of buckets leaving the same number of capability types unused, built
    when first searched: a group is searched only when no agent of the earlier ones fits, and
    building an index costs a pass over its bucket."""

    __slots__ = ("_build", "_built", "_keys")

    def __init__(
        self,
        keys: tuple[FreeIndexKey, ...],
        build: Callable[[tuple[FreeIndexKey, ...]], tuple[FreeIndex, ...]],
    ) -> None:
        self._keys = keys
        self._build = build
        self._built: tuple[FreeIndex, ...] | None = None

    def indexes(self) -> tuple[FreeIndex, ...]:
        built = self._built
        if built is None:
            built = self._built = self._build(self._keys)
        return built


class AgentPool:
    """Free capacity and container counts per agent, plus the indexes that search them."""

    def __init__(self, agents: Sequence[AgentSnapshot]) -> None:
        in_id_order = sorted(agents, key=attrgetter("agent_id"))
        states = self._by_seq = [_state_of(agent, seq) for seq, agent in enumerate(in_id_order)]
        self._states: dict[AgentId, AgentState] = {s.agent_id: s for s in states}
        self._buckets: dict[BucketKey, list[AgentState]] = defaultdict(list)
        for state in states:
            self._buckets[(state.architecture, state.capabilities)].append(state)
        self._groups: dict[tuple[str, frozenset[str]], Groups] = {}
        #: The units of every free index's keys (one for the pool: see `_refine`).
        self._units = SlotUnits()
        self._free_indexes: dict[FreeIndexKey, FreeIndex] = {}
        self._free_groups: dict[Hashable, tuple[IndexGroup, ...]] = {}
        self._capacity_groups: dict[Hashable, tuple[tuple[CapacityIndex, ...], ...]] = {}
        self._indexes_of: dict[AgentId, list[FreeIndex]] = defaultdict(list)
        self._feasible_lists: dict[Hashable, FeasibleList] = {}
        self._replicas: dict[object, Counter[AgentId]] = defaultdict(Counter)
        self._failures: dict[Hashable, Explanation] = {}

    # --- accessors ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._states)

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._states

    def states(self) -> Iterable[AgentState]:
        """Every agent, ordered by id."""
        return self._states.values()

    def state(self, agent_id: AgentId) -> AgentState | None:
        return self._states.get(agent_id)

    def free_slots(self, agent_id: AgentId) -> ResourceSlot:
        """available − occupied − reserved this cycle. Raises KeyError for an unknown agent."""
        return ResourceSlot(self._states[agent_id].free)

    def container_count(self, agent_id: AgentId) -> int:
        """Containers running plus reserved this cycle. Raises KeyError for an unknown agent."""
        return self._states[agent_id].containers

    def replicas_of(self, endpoint_id: object) -> Mapping[AgentId, int]:
        """Replicas of `endpoint_id` reserved this cycle, per agent hosting any."""
        return self._replicas.get(endpoint_id, {})

    # --- in-batch tracking ----------------------------------------------------------------
    def reserve(self, selection: AgentSelection) -> None:
        """Take a selection's slots and containers from its agents, and re-index them.

        Trusts the selection to be feasible (the selector's job); never releases capacity.
        """
        for placement in selection.placements:
            state = self._states[placement.agent_id]
            free = state.free
            for slot, amount in placement.slots.items():
                free[slot] = free.get(slot, ZERO) - amount
            state.containers += 1
            try:
                for index in self._indexes_of.get(state.agent_id, ()):
                    index.update(state)
            except FinerThanUnit as finer:
                self._refine(finer)
            for feasible in self._feasible_lists.values():
                feasible.update(state)
        if selection.endpoint_id is not None:
            hosts = {placement.agent_id for placement in selection.placements}
            self._replicas[selection.endpoint_id].update(hosts)

    def _refine(self, finer: FinerThanUnit) -> None:
        """Make the unit of `finer.slot` fine enough for its amount; drop the stale indexes.

        Rare (a request finer than every amount seen before in its slot), so the indexes are
        simply rebuilt, from the agents' current state, when next searched.
        """
        self._units.cover(finer.slot, finer.amount)
        self._free_indexes.clear()
        self._free_groups.clear()
        self._indexes_of.clear()

    def _in_units(self, build: Callable[[], T]) -> T:
        """`build()` indexes, making units finer (and starting over) until every amount fits."""
        while True:
            try:
                return build()
            except FinerThanUnit as finer:
                self._refine(finer)

    # --- failures by request shape --------------------------------------------------------
    def known_failure(self, shape: Hashable) -> Explanation | None:
        """Why `shape` failed earlier in this cycle; it still fails, capacity only shrank."""
        return self._failures.get(shape)

    def remember_failure(self, shape: Hashable, explanation: Explanation) -> None:
        """Record a failure computed against reserved state only (no tentative use)."""
        self._failures[shape] = explanation

    def tally(self, demand: Demand, max_containers: int | None) -> Tally:
        """Why each agent rejects `demand` (which none can take), counted through the indexes."""
        tally = Tally()
        for bucket, members in self._buckets.items():
            if bucket[0] != demand.architecture:
                tally.add(ARCHITECTURE_MISMATCH, len(members))
                continue
            # Any direction counts correctly; reuse the one a search built, if any.
            key = (bucket, demand.order, True, max_containers)
            if key not in self._free_indexes:
                key = (bucket, demand.order, False, max_containers)
            self._free_indexes_of((key,))[0].tally_into(demand, tally)
        return tally

    # --- indexes --------------------------------------------------------------------------
    def free_index_groups(
        self, demand: Demand, *, descending: bool, max_containers: int | None
    ) -> tuple[IndexGroup, ...]:
        """Indexes by free capacity of `demand.order`, grouped like `_bucket_groups`."""
        key = (demand.architecture, demand.order, descending, max_containers)
        groups = self._free_groups.get(key)
        if groups is None:
            groups = self._free_groups[key] = tuple(
                IndexGroup(
                    tuple((b, demand.order, descending, max_containers) for b in group),
                    self._free_indexes_of,
                )
                for group in self._bucket_groups(demand)
            )
        return groups

    def _free_indexes_of(self, keys: tuple[FreeIndexKey, ...]) -> tuple[FreeIndex, ...]:
        return self._in_units(lambda: tuple(self._free_index(key) for key in keys))

    def capacity_index_groups(self, demand: Demand) -> tuple[tuple[CapacityIndex, ...], ...]:
        """Indexes by total capacity of `demand.order` (most first), grouped by unused types."""
        key = (demand.architecture, demand.order)
        groups = self._capacity_groups.get(key)
        if groups is None:
            groups = tuple(
                tuple(self._new_capacity_index(bucket, demand.order) for bucket in group)
                for group in self._bucket_groups(demand)
            )
            self._capacity_groups[key] = groups
        return groups

    def feasible_agents(self, demand: Demand, max_containers: int | None) -> list[AgentState]:
        """The agents that can take `demand` now, in id order (read-only for the caller)."""
        key = (demand.key, max_containers)
        feasible = self._feasible_lists.get(key)
        if feasible is None:
            feasible = self._feasible_lists[key] = FeasibleList(
                self._by_seq, demand, max_containers
            )
        return feasible.members

    def _bucket_groups(self, demand: Demand) -> Groups:
        # A bucket lacking a requested capability type cannot serve the demand at all.
        key = (demand.architecture, demand.names)
        groups = self._groups.get(key)
        if groups is None:
            by_unused: dict[int, list[BucketKey]] = defaultdict(list)
            for bucket in self._buckets:
                arch, capabilities = bucket
                if arch == demand.architecture and demand.names <= capabilities:
                    by_unused[len(capabilities - demand.names)].append(bucket)
            groups = tuple(tuple(by_unused[unused]) for unused in sorted(by_unused))
            self._groups[key] = groups
        return groups

    def _free_index(self, key: FreeIndexKey) -> FreeIndex:
        index = self._free_indexes.get(key)
        if index is None:
            bucket, order, descending, max_containers = key
            members = self._buckets[bucket]
            index = self._free_indexes[key] = FreeIndex(
                members,
                self._by_seq,
                order,
                self._units,
                descending=descending,
                max_containers=max_containers,
            )
            for state in members:
                self._indexes_of[state.agent_id].append(index)
        return index

    def _new_capacity_index(self, bucket: BucketKey, order: tuple[str, ...]) -> CapacityIndex:
        members = sorted(self._buckets[bucket], key=lambda s: most_capacity_first(s, order))
        return CapacityIndex(members)
