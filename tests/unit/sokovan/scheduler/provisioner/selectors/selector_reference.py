"""A brute-force model of agent selection, written from the contract for property tests.

It ranks every agent on every request with ResourceSlot arithmetic, sharing no code with the
selector, so any disagreement is a bug in one of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import AgentSelectionStrategy, ClusterMode
from sokovan.repositories.scheduler.snapshot_types import AgentSnapshot
from sokovan.scheduler.provisioner.selectors import (
    AgentPool,
    KernelRequirement,
    SelectionConfig,
    SessionRequirements,
)


@dataclass
class Reference:
    """The contract, computed by brute force over every agent."""

    strategy: AgentSelectionStrategy
    config: SelectionConfig
    agents: Sequence[AgentSnapshot]
    turn: int = 0
    free: dict[str, ResourceSlot] = field(default_factory=dict)
    containers: dict[str, int] = field(default_factory=dict)
    replicas: dict[object, Counter[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for a in self.agents:
            self.free[a.agent_id] = a.available_slots - a.occupied_slots
            self.containers[a.agent_id] = a.container_count

    def place(
        self, request: SessionRequirements, designated: Sequence[str] | None
    ) -> list[str] | None:
        kernels = request.kernels
        if request.cluster_mode is ClusterMode.SINGLE_NODE:
            if len({k.architecture for k in kernels}) > 1:
                return None
            total = sum((k.slots for k in kernels), ResourceSlot())
            whole = KernelRequirement(kernels[0].kernel_id, kernels[0].architecture, total)
            chosen = self.choose(whole, len(kernels), {}, designated, request.endpoint_id)
            return None if chosen is None else [chosen] * len(kernels)
        held: dict[str, tuple[ResourceSlot, int]] = {}
        placed = []
        for ordinal, k in enumerate(kernels):
            chosen = self.choose(k, 1, held, designated, request.endpoint_id, ordinal)
            if chosen is None:
                return None
            slots, count = held.get(chosen, (ResourceSlot(), 0))
            held[chosen] = (slots + k.slots, count + 1)
            placed.append(chosen)
        return placed

    def choose(
        self,
        k: KernelRequirement,
        containers: int,
        held: dict[str, tuple[ResourceSlot, int]],
        designated: Sequence[str] | None,
        endpoint: object,
        ordinal: int = 0,
    ) -> str | None:
        need = {s: a for s, a in k.slots.items() if a}
        priority = self.config.resource_priority
        order = sorted(need, key=lambda s: (priority.index(s) if s in priority else 9, s))
        limit = self.config.max_container_count
        feasible = []
        for a in self.agents:
            if designated and a.agent_id not in designated:
                continue
            held_slots, held_count = held.get(a.agent_id, (ResourceSlot(), 0))
            free = self.free[a.agent_id] - held_slots
            used = self.containers[a.agent_id] + held_count + containers
            if (
                a.architecture == k.architecture
                and all(free.amount(s) >= need[s] for s in order)
                and (limit is None or used <= limit)
            ):
                feasible.append((a, [free.amount(s) for s in order]))
        if not feasible:
            return None
        if self.config.enforce_spreading_endpoint_replica and endpoint is not None:
            counts = self.replicas.get(endpoint, Counter())
            fewest = min(counts[a.agent_id] for a, _ in feasible)
            feasible = [(a, f) for a, f in feasible if counts[a.agent_id] == fewest]
        return self.pick(feasible, order, set(need), ordinal)

    def pick(
        self,
        feasible: list[tuple[AgentSnapshot, list[Decimal]]],
        order: list[str],
        used: set[str],
        ordinal: int,
    ) -> str:
        if self.strategy is AgentSelectionStrategy.ROUNDROBIN:
            ordered = sorted(a.agent_id for a, _ in feasible)
            return ordered[(self.turn + ordinal) % len(ordered)]

        def unused(a: AgentSnapshot) -> int:
            return len({s for s, v in a.available_slots.items() if v > 0} - used)

        def key(item: tuple[AgentSnapshot, list[Decimal]]) -> tuple[object, ...]:
            a, free = item
            if self.strategy is AgentSelectionStrategy.CONCENTRATED:
                amounts = free  # least free first
            elif self.strategy is AgentSelectionStrategy.DISPERSED:
                amounts = [-f for f in free]  # most free first
            else:
                amounts = [-a.available_slots.amount(s) for s in order]  # most capacity first
            return unused(a), amounts, a.agent_id

        return min(feasible, key=key)[0].agent_id

    def reserve(self, request: SessionRequirements, placed: list[str]) -> None:
        for k, agent_id in zip(request.kernels, placed, strict=True):
            self.free[agent_id] = self.free[agent_id] - k.slots
            self.containers[agent_id] += 1
        if request.endpoint_id is not None:
            self.replicas.setdefault(request.endpoint_id, Counter()).update(set(placed))
        self.turn += 1 if request.cluster_mode is ClusterMode.SINGLE_NODE else len(placed)


def assert_never_overcommitted(
    pool: AgentPool, snapshot: Sequence[AgentSnapshot], cfg: SelectionConfig
) -> None:
    """No agent holds more than it had free, nor more containers than the limit."""
    for a in snapshot:
        initial = a.available_slots - a.occupied_slots
        now = pool.free_slots(a.agent_id)
        for slot in {*initial, *now}:
            reserved = initial.amount(slot) - now.amount(slot)
            assert reserved >= 0
            if reserved > 0:
                assert reserved <= initial.amount(slot), (a.agent_id, slot)
        added = pool.container_count(a.agent_id) - a.container_count
        if added and cfg.max_container_count is not None:
            assert pool.container_count(a.agent_id) <= cfg.max_container_count
