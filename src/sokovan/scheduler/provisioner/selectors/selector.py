"""Choose an agent for every kernel of a session (DESIGN §5: feasible → rank → select).

Stages, in order: designated agents narrow the candidates (never widened again); the
feasibility filters (architecture, resources, container count) drop agents; replica spreading
keeps the agents hosting the fewest replicas of the same deployment; the strategy picks one.
The common case (no designated agents, nothing held by earlier kernels) goes straight to the
strategy's indexed search; agents that need a special view are judged one by one and merged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from sokovan.common.ids import AgentId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import AgentSelectionStrategy, ClusterMode
from sokovan.scheduler.provisioner.errors import NoCompatibleAgentError
from sokovan.scheduler.provisioner.selectors.concentrated import ConcentratedStrategy
from sokovan.scheduler.provisioner.selectors.demand import Demand, DemandBuilder
from sokovan.scheduler.provisioner.selectors.dispersed import DispersedStrategy
from sokovan.scheduler.provisioner.selectors.explain import Explanation, Tally, explain
from sokovan.scheduler.provisioner.selectors.feasibility import NOT_IN_POOL, check
from sokovan.scheduler.provisioner.selectors.legacy import LegacyStrategy
from sokovan.scheduler.provisioner.selectors.pool import AgentPool
from sokovan.scheduler.provisioner.selectors.roundrobin import RoundRobinStrategy
from sokovan.scheduler.provisioner.selectors.state import AgentState, Candidate, Held
from sokovan.scheduler.provisioner.selectors.strategy import Strategy
from sokovan.scheduler.provisioner.selectors.types import (
    AgentSelection,
    KernelPlacement,
    KernelRequirement,
    SelectionConfig,
    SessionRequirements,
)

_STRATEGIES: Mapping[AgentSelectionStrategy, type[Strategy]] = {
    AgentSelectionStrategy.CONCENTRATED: ConcentratedStrategy,
    AgentSelectionStrategy.DISPERSED: DispersedStrategy,
    AgentSelectionStrategy.ROUNDROBIN: RoundRobinStrategy,
    AgentSelectionStrategy.LEGACY: LegacyStrategy,
}
_NOTHING_HELD: Mapping[AgentId, Held] = {}
_NO_REPLICAS: Mapping[AgentId, int] = {}
_NO_ONE: frozenset[AgentId] = frozenset()


class _Call(NamedTuple):
    """The fixed context of one selection call (a NamedTuple: one is built per decision)."""

    pool: AgentPool
    max_containers: int | None
    #: Replicas of the session's deployment per agent; empty when spreading does not apply.
    replicas: Mapping[AgentId, int]
    #: The designated agents (deduplicated), or None when any agent may be used.
    designated: tuple[AgentId, ...] | None


class AgentSelector:
    """Pure and synchronous: never reserves; the caller applies the result with `reserve`."""

    def __init__(self, strategy: AgentSelectionStrategy, *, roundrobin_start_index: int = 0):
        self._strategy: Strategy = _STRATEGIES[strategy]()
        self._next_turn = roundrobin_start_index
        self._builders: dict[tuple[str, ...], DemandBuilder] = {}

    @property
    def roundrobin_next_index(self) -> int:
        """The round-robin position to persist for the next cycle."""
        return self._next_turn

    def select_agents_for_batch_requirements(
        self,
        agents: AgentPool,
        criteria: SessionRequirements,
        config: SelectionConfig,
        designated_agent_ids: Sequence[AgentId] | None = None,
    ) -> AgentSelection:
        """Place every kernel of `criteria`, or raise an `AgentSelectionRejection` saying why.

        An empty `designated_agent_ids` means no designation.
        """
        spreading = config.enforce_spreading_endpoint_replica and criteria.endpoint_id is not None
        call = _Call(
            agents,
            config.max_container_count,
            agents.replicas_of(criteria.endpoint_id) if spreading else _NO_REPLICAS,
            tuple(dict.fromkeys(designated_agent_ids)) if designated_agent_ids else None,
        )
        builder = self._builders.get(config.resource_priority)
        if builder is None:
            builder = self._builders[config.resource_priority] = DemandBuilder(
                config.resource_priority
            )
        if criteria.cluster_mode is ClusterMode.SINGLE_NODE:
            placements = self._place_together(call, builder, criteria)
        else:
            placements = self._place_each(call, builder, criteria)
        if self._strategy.rotates:
            self._next_turn += (
                1 if criteria.cluster_mode is ClusterMode.SINGLE_NODE else len(placements)
            )
        return AgentSelection(tuple(placements), criteria.endpoint_id)

    def _place_together(
        self, call: _Call, builder: DemandBuilder, criteria: SessionRequirements
    ) -> list[KernelPlacement]:
        kernels = criteria.kernels
        if not kernels:
            return []
        if len(kernels) == 1:
            demand = builder.build(kernels[0].architecture, kernels[0].slots, 1)
        else:
            demand = builder.build(_one_architecture(kernels), sum_slots(kernels), len(kernels))
        state = self._choose(call, demand, _NOTHING_HELD, self._next_turn, "")
        return [KernelPlacement(k.kernel_id, state.agent_id, state.addr, k.slots) for k in kernels]

    def _place_each(
        self, call: _Call, builder: DemandBuilder, criteria: SessionRequirements
    ) -> list[KernelPlacement]:
        # Later kernels see what earlier ones hold, without touching the pool.
        held: dict[AgentId, Held] = {}
        placements = []
        count = len(criteria.kernels)
        for ordinal, kernel in enumerate(criteria.kernels):
            demand = builder.build(kernel.architecture, kernel.slots, 1)
            context = f"kernel {ordinal + 1} of {count}: "
            state = self._choose(call, demand, held, self._next_turn + ordinal, context)
            before = held.get(state.agent_id)
            held[state.agent_id] = (
                Held(kernel.slots, 1) if before is None else before.plus(kernel.slots)
            )
            placements.append(
                KernelPlacement(kernel.kernel_id, state.agent_id, state.addr, kernel.slots)
            )
        return placements

    def _choose(
        self, call: _Call, demand: Demand, held: Mapping[AgentId, Held], turn: int, context: str
    ) -> AgentState:
        shape = (demand.key, call.max_containers)
        if call.designated is not None:
            designated = (s for a in call.designated if (s := call.pool.state(a)) is not None)
            chosen = self._pick_among(call, designated, demand, held, turn)
        elif (known := call.pool.known_failure(shape)) is not None:
            raise known.to_error(context)
        elif held or call.replicas:
            chosen = self._search_around(call, demand, held, turn)
        else:
            # The common case: every agent is judged on its reserved state alone.
            chosen = self._strategy.search(call.pool, demand, call.max_containers, _NO_ONE, turn)
        if chosen is not None:
            return chosen
        explanation = self._explain(call, demand, held)
        if call.designated is None and not held:
            call.pool.remember_failure(shape, explanation)
        raise explanation.to_error(context)

    def _search_around(
        self, call: _Call, demand: Demand, held: Mapping[AgentId, Held], turn: int
    ) -> AgentState | None:
        # Agents with tentative use or replicas need their own view: judge them one by one.
        special = held.keys() | call.replicas.keys()
        if not self._strategy.mergeable:
            return self._pick_among(call, call.pool.states(), demand, held, turn)
        found = self._strategy.search(call.pool, demand, call.max_containers, special, turn)
        others = (s for a in special if (s := call.pool.state(a)) is not None)
        return self._pick_among(call, [*others, *([found] if found else [])], demand, held, turn)

    def _pick_among(
        self,
        call: _Call,
        states: Iterable[AgentState],
        demand: Demand,
        held: Mapping[AgentId, Held],
        turn: int,
    ) -> AgentState | None:
        feasible = [
            Candidate(state, held.get(state.agent_id))
            for state in states
            if check(state, held.get(state.agent_id), demand, call.max_containers) is None
        ]
        if not feasible:
            return None
        if call.replicas:
            fewest = min(call.replicas.get(c.agent_id, 0) for c in feasible)
            feasible = [c for c in feasible if call.replicas.get(c.agent_id, 0) == fewest]
        return self._strategy.pick(feasible, demand, turn).state

    def _explain(self, call: _Call, demand: Demand, held: Mapping[AgentId, Held]) -> Explanation:
        pool, limit = call.pool, call.max_containers
        if call.designated is None and not held:
            return explain(pool.tally(demand, limit), demand, limit)
        tally = Tally()
        if call.designated is None:
            states: Iterable[AgentState | None] = pool.states()
        else:
            states = [pool.state(agent_id) for agent_id in call.designated]
        for state in states:
            held_here = None if state is None else held.get(state.agent_id)
            rejection = NOT_IN_POOL if state is None else check(state, held_here, demand, limit)
            if rejection is not None:
                tally.add(rejection)
        return explain(tally, demand, limit, call.designated)


def _one_architecture(kernels: Sequence[KernelRequirement]) -> str:
    architectures = sorted({kernel.architecture for kernel in kernels})
    if len(architectures) > 1:
        raise NoCompatibleAgentError(
            f"the kernels of this single-node session need different architectures "
            f"({', '.join(architectures)}); use images of one architecture"
        )
    return architectures[0]


def sum_slots(kernels: Iterable[KernelRequirement]) -> ResourceSlot:
    total = ResourceSlot()
    for kernel in kernels:
        total += kernel.slots
    return total
