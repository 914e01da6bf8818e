"""The agents of one scaling group for one cycle, indexed for fast selection.

A pool lives for ONE cycle: `reserve` only ever takes capacity away, which is what lets the
indexes skip agents for good and lets failures be cached by request shape.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from decimal import Decimal

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

#: Agents sharing an architecture and a set of capability types.
BucketKey = tuple[str, frozenset[str]]
#: Buckets able to serve a demand, grouped by how many capability types they leave unused
#: (fewest first); the caller ranks within a group and stops at the first group with a fit.
Groups = tuple[tuple[BucketKey, ...], ...]
#: (bucket, slot order, descending, max_containers)
FreeIndexKey = tuple[BucketKey, tuple[str, ...], bool, int | None]


def _state_of(agent: AgentSnapshot, seq: int) -> AgentState:
    available = agent.available_slots
    free = dict(available.items())
    capabilities = frozenset([slot for slot, amount in free.items() if amount > 0])
    for slot, amount in agent.occupied_slots.items():
        free[slot] = free.get(slot, ZERO) - amount
    return AgentState(
        agent.agent_id,
        agent.addr,
        agent.architecture,
        capabilities,
        available,
        free,
        agent.container_count,
        Decimal(seq),
    )


class AgentPool:
    """Free capacity and container counts per agent, plus the indexes that search them."""

    def __init__(self, agents: Sequence[AgentSnapshot]) -> None:
        in_id_order = sorted(agents, key=lambda agent: agent.agent_id)
        states = [_state_of(agent, seq) for seq, agent in enumerate(in_id_order)]
        self._by_seq = states
        self._states: dict[AgentId, AgentState] = {s.agent_id: s for s in states}
        self._buckets: dict[BucketKey, list[AgentState]] = defaultdict(list)
        for state in states:
            self._buckets[(state.architecture, state.capabilities)].append(state)
        self._groups: dict[tuple[str, frozenset[str]], Groups] = {}
        self._free_indexes: dict[FreeIndexKey, FreeIndex] = {}
        self._free_groups: dict[Hashable, tuple[tuple[FreeIndex, ...], ...]] = {}
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
            for index in self._indexes_of.get(state.agent_id, ()):
                index.update(state)
            for feasible in self._feasible_lists.values():
                feasible.update(state)
        if selection.endpoint_id is not None:
            hosts = {placement.agent_id for placement in selection.placements}
            self._replicas[selection.endpoint_id].update(hosts)

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
            self._free_index(key).tally_into(demand, tally)
        return tally

    # --- indexes --------------------------------------------------------------------------
    def free_index_groups(
        self, demand: Demand, *, descending: bool, max_containers: int | None
    ) -> tuple[tuple[FreeIndex, ...], ...]:
        """Indexes by free capacity of `demand.order`, grouped like `_bucket_groups`."""
        key = (demand.architecture, demand.order, descending, max_containers)
        groups = self._free_groups.get(key)
        if groups is None:
            groups = tuple(
                tuple(self._free_index((b, demand.order, descending, max_containers)) for b in g)
                for g in self._bucket_groups(demand)
            )
            self._free_groups[key] = groups
        return groups

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
                members, self._by_seq, order, descending=descending, max_containers=max_containers
            )
            for state in members:
                self._indexes_of[state.agent_id].append(index)
        return index

    def _new_capacity_index(self, bucket: BucketKey, order: tuple[str, ...]) -> CapacityIndex:
        members = sorted(self._buckets[bucket], key=lambda s: most_capacity_first(s, order))
        return CapacityIndex(members)
