"""The agents of one scaling group for one cycle, indexed for fast selection.

A pool lives for ONE cycle: `reserve` only ever takes capacity away, which is what lets the
indexes skip agents for good and lets failures be cached by request shape.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from decimal import Decimal
from operator import attrgetter
from typing import TypeVar

from sokovan.common.ids import AgentId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.repositories.scheduler.snapshot_types import AgentSnapshot
from sokovan.scheduler.provisioner.selectors.agent_states import AgentStates
from sokovan.scheduler.provisioner.selectors.capacity_index import CapacityIndex
from sokovan.scheduler.provisioner.selectors.demand import Demand
from sokovan.scheduler.provisioner.selectors.explain import Explanation, Tally
from sokovan.scheduler.provisioner.selectors.feasibility import (
    ARCHITECTURE_MISMATCH,
    Reason,
    Rejection,
)
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
#: (architecture, slot order, descending, max_containers)
FreeGroupsKey = tuple[str, tuple[str, ...], bool, int | None]
T = TypeVar("T")


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
        self._agents = AgentStates(in_id_order)
        self._seq_of: dict[AgentId, int] = {
            agent.agent_id: seq for seq, agent in enumerate(in_id_order)
        }
        #: The seqs of the agents of each bucket, in id order.
        self._buckets: dict[BucketKey, list[int]] = defaultdict(list)
        buckets, capabilities = self._buckets, self._agents.capabilities
        for seq, agent in enumerate(in_id_order):
            buckets[(agent.architecture, capabilities[seq])].append(seq)
        self._groups: dict[tuple[str, frozenset[str]], Groups] = {}
        #: The units of every free index's keys (one for the pool: see `_refine`).
        self._units = SlotUnits()
        self._free_indexes: dict[FreeIndexKey, FreeIndex] = {}
        self._free_groups: dict[FreeGroupsKey, tuple[IndexGroup, ...]] = {}
        self._capacity_groups: dict[Hashable, tuple[tuple[CapacityIndex, ...], ...]] = {}
        #: The free indexes of each bucket, which a reservation there must update.
        self._indexes_in: dict[BucketKey, list[FreeIndex]] = defaultdict(list)
        #: Per bucket and a slot its agents lack, what `_lacking_of` says.
        self._lacking: dict[tuple[BucketKey, str], tuple[int, Decimal] | None] = {}
        self._feasible_lists: dict[Hashable, FeasibleList] = {}
        self._replicas: dict[object, Counter[AgentId]] = defaultdict(Counter)
        self._failures: dict[Hashable, Explanation] = {}

    # --- accessors ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._seq_of)

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._seq_of

    def states(self) -> Iterable[AgentState]:
        """Every agent, ordered by id."""
        return map(self._agents.__getitem__, self._seq_of.values())

    def state(self, agent_id: AgentId) -> AgentState | None:
        seq = self._seq_of.get(agent_id)
        return None if seq is None else self._agents[seq]

    def _state(self, agent_id: AgentId) -> AgentState:
        """The state of a known agent. Raises KeyError for an unknown agent."""
        return self._agents[self._seq_of[agent_id]]

    def free_slots(self, agent_id: AgentId) -> ResourceSlot:
        """available − occupied − reserved this cycle. Raises KeyError for an unknown agent."""
        return ResourceSlot(self._state(agent_id).free)

    def container_count(self, agent_id: AgentId) -> int:
        """Containers running plus reserved this cycle. Raises KeyError for an unknown agent."""
        return self._state(agent_id).containers

    def replicas_of(self, endpoint_id: object) -> Mapping[AgentId, int]:
        """Replicas of `endpoint_id` reserved this cycle, per agent hosting any."""
        return self._replicas.get(endpoint_id, {})

    # --- in-batch tracking ----------------------------------------------------------------
    def reserve(self, selection: AgentSelection) -> None:
        """Take a selection's slots and containers from its agents, and re-index them.

        Trusts the selection to be feasible (the selector's job); never releases capacity.
        """
        for placement in selection.placements:
            state = self._state(placement.agent_id)
            free = state.free
            for slot, amount in placement.slots.items():
                free[slot] = free.get(slot, ZERO) - amount
            state.containers += 1
            self._update_indexes(state)
            for feasible in self._feasible_lists.values():
                feasible.update(state)
        if selection.endpoint_id is not None:
            hosts = {placement.agent_id for placement in selection.placements}
            self._replicas[selection.endpoint_id].update(hosts)

    def _update_indexes(self, state: AgentState) -> None:
        """Re-position `state` in the free indexes of its bucket.

        An update that needs finer units drops the indexes they invalidate; the others are
        updated again (harmless for those done already).
        """
        bucket = (state.architecture, state.capabilities)
        while True:
            try:
                for index in self._indexes_in.get(bucket, ()):
                    index.update(state)
                return
            except FinerThanUnit as finer:
                self._refine(finer)

    def _refine(self, finer: FinerThanUnit) -> None:
        """Make the unit of `finer.slot` fine enough for its amount; drop the indexes keyed in
        the old unit, i.e. those ordered by that slot.

        Rare (a request finer than every amount seen before in its slot), so those indexes
        are simply rebuilt, from the agents' current state, when next searched.
        """
        slot = finer.slot
        self._units.cover(slot, finer.amount)
        for key in [key for key in self._free_indexes if slot in key[1]]:
            self._indexes_in[key[0]].remove(self._free_indexes.pop(key))
        self._free_groups = {
            key: groups for key, groups in self._free_groups.items() if slot not in key[1]
        }

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
            if demand.order and demand.order[0] not in bucket[1]:
                lacking = self._lacking_of(bucket, demand.order[0])
                if lacking is not None:
                    count, most = lacking
                    tally.add(Rejection(Reason.RESOURCES, demand.order[0], most), count)
                    continue
            # Any direction counts correctly; reuse the one a search built, if any.
            key = (bucket, demand.order, True, max_containers)
            if key not in self._free_indexes:
                key = (bucket, demand.order, False, max_containers)
            self._free_indexes_of((key,))[0].tally_into(demand, tally)
        return tally

    def _lacking_of(self, bucket: BucketKey, slot: str) -> tuple[int, Decimal] | None:
        """For a bucket whose agents lack `slot`: their number and the most free of `slot`
        on any, or None if one has some free nonetheless (it needs a look of its own).

        What the bucket's free index would count as short of its first slot, without
        building one. Computed once: a slot's free capacity changes only when a request
        asking for a positive amount of it is placed, and none fits where nothing is free.
        """
        key = (bucket, slot)
        if key not in self._lacking:
            members = self._buckets[bucket]
            most = max(self._agents.free_column(members, slot))
            self._lacking[key] = None if most > ZERO else (len(members), most)
        return self._lacking[key]

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
                self._agents, demand, max_containers
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
                self._agents,
                order,
                self._units,
                descending=descending,
                max_containers=max_containers,
            )
            self._indexes_in[bucket].append(index)
        return index

    def _new_capacity_index(self, bucket: BucketKey, order: tuple[str, ...]) -> CapacityIndex:
        members = map(self._agents.__getitem__, self._buckets[bucket])
        return CapacityIndex(sorted(members, key=lambda s: most_capacity_first(s, order)))
