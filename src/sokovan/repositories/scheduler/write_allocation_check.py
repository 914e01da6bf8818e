"""Re-checking placements at commit time (pure): does each session still fit, all or nothing?

The provisioner decided on a snapshot; by commit time other managers may have taken capacity,
agents may have gone, sessions may have moved on. `AgentLedger` starts from the agents'
occupancy read under their row locks and adds what each accepted session takes, so sessions
later in a batch see what earlier ones took, and no agent is ever overcommitted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sokovan.common.ids import AgentId, KernelId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import AgentStatus, KernelStatus, SessionStatus
from sokovan.repositories.scheduler.write_rows import KernelRow, SessionRow
from sokovan.repositories.scheduler.write_specs import KernelAllocation, SessionAllocation


@dataclass(frozen=True, slots=True)
class AgentState:
    id: AgentId
    addr: str
    status: AgentStatus
    schedulable: bool
    scaling_group: str
    available_slots: ResourceSlot


@dataclass(frozen=True, slots=True)
class AgentDemand:
    """What one session asks of one agent."""

    slots: ResourceSlot
    containers: int


def demands_of(allocation: SessionAllocation) -> dict[AgentId, AgentDemand]:
    """The session's kernels summed per agent, in agent id order."""
    if len(allocation.kernels) == 1:  # most sessions: nothing to sum or sort
        kernel = allocation.kernels[0]
        return {kernel.agent_id: AgentDemand(kernel.slots, 1)}
    slots: dict[AgentId, ResourceSlot] = {}
    containers: dict[AgentId, int] = defaultdict(int)
    for kernel in allocation.kernels:
        earlier = slots.get(kernel.agent_id)
        slots[kernel.agent_id] = kernel.slots if earlier is None else earlier + kernel.slots
        containers[kernel.agent_id] += 1
    return {
        agent_id: AgentDemand(slots[agent_id], containers[agent_id]) for agent_id in sorted(slots)
    }


def session_problem(
    allocation: SessionAllocation, session: SessionRow, kernels: Sequence[KernelRow]
) -> str | None:
    """Why the session itself can no longer be allocated this way (None: it can)."""
    if session.status is not SessionStatus.PENDING:
        return f"session is no longer PENDING ({session.status})"
    if allocation.scaling_group != session.scaling_group:
        return (
            f"allocation targets scaling group {allocation.scaling_group} but the session "
            f"belongs to {session.scaling_group}"
        )
    if not _places_exactly_the_pending(allocation.kernels, kernels):
        return "the allocation does not place exactly the session's PENDING kernels"
    return None


def _places_exactly_the_pending(
    placed: Sequence[KernelAllocation], kernels: Sequence[KernelRow]
) -> bool:
    if len(placed) == 1 and len(kernels) == 1:  # most sessions: nothing to collect
        return kernels[0].status is KernelStatus.PENDING and placed[0].kernel_id == kernels[0].id
    allocated: list[KernelId] = [kernel.kernel_id for kernel in placed]
    pending = {kernel.id for kernel in kernels if kernel.status is KernelStatus.PENDING}
    return bool(pending) and len(set(allocated)) == len(allocated) and set(allocated) == pending


class AgentLedger:
    """Occupancy and container counts per agent during one batch's re-check."""

    def __init__(
        self,
        agents: Mapping[AgentId, AgentState],
        occupied: Mapping[AgentId, ResourceSlot],
        containers: Mapping[AgentId, int],
        max_containers: Mapping[str, int | None],
    ) -> None:
        self._agents = agents
        self._occupied = dict(occupied)
        self._containers = dict(containers)
        self._max_containers = max_containers
        self._taken_from: set[AgentId] = set()

    def agent(self, agent_id: AgentId) -> AgentState:
        return self._agents[agent_id]

    def try_take(self, demands: Mapping[AgentId, AgentDemand], scaling_group: str) -> str | None:
        """Take the session's share of every agent, or nothing and say why (all or nothing)."""
        totals: dict[AgentId, ResourceSlot] = {}
        for agent_id, demand in demands.items():
            total = self.occupied(agent_id) + demand.slots
            reason = self._agent_problem(agent_id, demand, total, scaling_group)
            if reason is not None:
                return reason
            totals[agent_id] = total
        for agent_id, total in totals.items():
            self._occupied[agent_id] = total
            self._containers[agent_id] = self.containers(agent_id) + demands[agent_id].containers
        self._taken_from.update(totals)
        return None

    def taken_from(self) -> dict[AgentId, tuple[ResourceSlot, int]]:
        """New occupied slots and container count of every agent something was taken from."""
        return {
            agent_id: (self.occupied(agent_id), self.containers(agent_id))
            for agent_id in sorted(self._taken_from)
        }

    def occupied(self, agent_id: AgentId) -> ResourceSlot:
        return self._occupied.get(agent_id, _NOTHING)

    def containers(self, agent_id: AgentId) -> int:
        return self._containers.get(agent_id, 0)

    def _agent_problem(
        self, agent_id: AgentId, demand: AgentDemand, total: ResourceSlot, scaling_group: str
    ) -> str | None:
        """Why the agent cannot take `demand`, bringing it to `total` occupied (None: it can)."""
        agent = self._agents.get(agent_id)
        if agent is None:
            return f"agent {agent_id} no longer exists"
        if agent.status is not AgentStatus.ALIVE:
            return f"agent {agent_id} is {agent.status}, not ALIVE"
        if not agent.schedulable:
            return f"agent {agent_id} is not schedulable"
        if agent.scaling_group != scaling_group:
            return f"agent {agent_id} is not in scaling group {scaling_group}"
        if not total.fits_in(agent.available_slots):
            free = agent.available_slots - self.occupied(agent_id)
            lacking = "; ".join(
                f"{slot} need {_amount(demand.slots[slot])}, free {_amount(free.amount(slot))}"
                for slot in sorted(demand.slots.shortfall(free))
            )
            return f"agent {agent_id} no longer has room: {lacking}"
        limit = self._max_containers.get(scaling_group)
        in_use = self.containers(agent_id)
        if limit is not None and in_use + demand.containers > limit:
            return (
                f"agent {agent_id} has no room for {demand.containers} more container(s): "
                f"{in_use} of {limit} in use"
            )
        return None


_NOTHING = ResourceSlot()


def _amount(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"
