"""An agent's standing within one scheduling cycle, and views of it with tentative use."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sokovan.common.ids import AgentId
from sokovan.common.resource_slot import ResourceSlot

ZERO = Decimal(0)


@dataclass(slots=True, eq=False)
class AgentState:
    """Mutable on purpose: `AgentPool.reserve` is the only writer, within one cycle."""

    agent_id: AgentId
    addr: str
    architecture: str
    #: Slot names with nonzero available capacity ("capability types").
    capabilities: frozenset[str]
    #: Total capacity; static for the cycle.
    available: ResourceSlot
    #: available − occupied − reserved this cycle; only shrinks within a cycle.
    free: dict[str, Decimal]
    containers: int
    #: Position in agent-id order: the tie-breaker at the end of index keys.
    seq: int


@dataclass(frozen=True, slots=True)
class Held:
    """Slots and containers taken by earlier kernels of the session being placed (not reserved)."""

    slots: ResourceSlot
    containers: int

    def plus(self, slots: ResourceSlot) -> Held:
        return Held(self.slots + slots, self.containers + 1)


def free_amount(state: AgentState, held: Held | None, slot: str) -> Decimal:
    """Free capacity of `slot` once `held` is taken into account."""
    have = state.free.get(slot, ZERO)
    return have if held is None else have - held.slots.amount(slot)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An agent as the session being placed sees it: its state minus what the session holds."""

    state: AgentState
    held: Held | None = None

    @property
    def agent_id(self) -> AgentId:
        return self.state.agent_id

    def free(self, slot: str) -> Decimal:
        return free_amount(self.state, self.held, slot)


def most_capacity_first(
    state: AgentState, order: tuple[str, ...]
) -> tuple[tuple[Decimal, ...], str]:
    """Sort key: most total capacity of `order`'s slots first (static), then agent id."""
    return tuple(-state.available.amount(slot) for slot in order), state.agent_id
