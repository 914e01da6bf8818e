"""The pool's agents in id order, each agent's `AgentState` built when first needed.

Setting up a cycle touches every agent of the scaling group, but placing even ten thousand
sessions reserves capacity on only a fraction of a large cluster (about two thousand of five
thousand agents). So what every agent needs is made in one tight pass (its free capacity
table and its capability types), and the `AgentState` around them only when the agent is
picked, reserved or examined. Indexes read free capacity straight from the tables, which a
state shares with its agent's entry: a reservation shows in both at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from sokovan.repositories.scheduler.snapshot_types import AgentSnapshot
from sokovan.scheduler.provisioner.selectors.state import ZERO, AgentState


class AgentStates:
    """The state of every agent by its position in agent-id order (its `seq`).

    Reading a state builds it if needed; the column readers never build one, and read the
    same free capacity and container count whether it is built or not.
    """

    __slots__ = ("_agents", "_frees", "_states", "capabilities")

    def __init__(self, in_id_order: Sequence[AgentSnapshot]) -> None:
        self._agents = in_id_order
        #: Per seq: available − occupied − reserved this cycle (`AgentState.free` once the
        #: state is built; until then shared with agents of equal capacity and occupancy).
        self._frees: list[dict[str, Decimal]] = []
        #: Per seq: slot names with nonzero available capacity ("capability types"). Agents
        #: with the same ones share one set: fewer objects for the garbage collector to count.
        self.capabilities: list[frozenset[str]] = []
        frees, capabilities = self._frees, self.capabilities
        shared: dict[frozenset[str], frozenset[str]] = {}
        # The snapshot shares one ResourceSlot among equal values (`SlotsReader`), and a
        # cluster has few distinct (capacity, occupancy) pairs: each pair's free table and
        # capability types are worked out once. Agents share their pair's table until their
        # state is built (copy on write: only a state reserves).
        templates: dict[tuple[int, int], tuple[dict[str, Decimal], frozenset[str]]] = {}
        for agent in in_id_order:
            available, occupied = agent.available_slots, agent.occupied_slots
            template = templates.get((id(available), id(occupied)))
            if template is None:
                free = dict(available.items())
                names = frozenset(_positive(free))
                for slot, amount in occupied.items():
                    free[slot] = free.get(slot, ZERO) - amount
                template = templates[(id(available), id(occupied))] = (
                    free,
                    shared.setdefault(names, names),
                )
            frees.append(template[0])
            capabilities.append(template[1])
        self._states: list[AgentState | None] = [None] * len(in_id_order)

    def __len__(self) -> int:
        return len(self._states)

    def __getitem__(self, seq: int) -> AgentState:
        state = self._states[seq]
        if state is None:
            agent = self._agents[seq]
            free = self._frees[seq] = self._frees[seq].copy()
            state = self._states[seq] = AgentState(
                agent.agent_id,
                agent.addr,
                agent.architecture,
                self.capabilities[seq],
                agent.available_slots,
                free,
                agent.container_count,
                seq,
            )
        return state

    def __iter__(self) -> Iterator[AgentState]:
        """Every agent's state, in id order (building the missing ones)."""
        return map(self.__getitem__, range(len(self._states)))

    def built(self, seq: int) -> bool:
        """True when the agent's state exists."""
        return self._states[seq] is not None

    def free_column(self, seqs: Sequence[int], slot: str) -> list[Decimal]:
        """The free amount of `slot` on each agent of `seqs`."""
        frees = self._frees
        return [frees[seq].get(slot, ZERO) for seq in seqs]

    def container_counts(self, seqs: Sequence[int]) -> list[int]:
        """The container count of each agent of `seqs`, reservations included."""
        agents, states = self._agents, self._states
        counts = []
        for seq in seqs:
            state = states[seq]
            counts.append(agents[seq].container_count if state is None else state.containers)
        return counts


def _positive(amounts: dict[str, Decimal]) -> Iterable[str]:
    """The slots of `amounts` with a positive amount (usually all of them: checked at once)."""
    if amounts and min(amounts.values()) > ZERO:
        return amounts.keys()
    return [slot for slot, amount in amounts.items() if amount > ZERO]
