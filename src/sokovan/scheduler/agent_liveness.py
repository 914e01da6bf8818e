"""Agent loss: agents that stop heartbeating become LOST, and after a grace period their
kernels are declared gone so that their sessions end and their resources are freed.

`AgentLivenessMonitor.check()` is one idempotent pass, for the orchestrator to call
periodically:

1. ALIVE agents silent for longer than `heartbeat_timeout` are marked LOST.
2. Agents LOST for longer than `kernel_grace_period` get their bound, unfinished kernels
   marked TERMINATED ("agent-lost") through the kernel state engine, which frees their slots
   and hints detect-termination, so their sessions go TERMINATING → TERMINATED at once.

The grace period lets an agent that merely lost its network for a moment come back with its
kernels intact. A heartbeat ends the loss whatever its instance id; the new incarnation's
kernels are never confused with the old one's: kernels are only ever terminated while the
agent is still LOST *as the incarnation that was selected* (same instance id, same lost_at,
re-read after listing its kernels), and events of an old incarnation are ignored by the
state engine.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Protocol

from sokovan.common.clock import Clock
from sokovan.common.errors import ConfigurationError, NotFoundError
from sokovan.common.ids import AgentId, KernelId
from sokovan.common.status import AgentStatus
from sokovan.repositories.agent.types import AgentInfo
from sokovan.repositories.scheduler.types import KernelInfo

log = logging.getLogger(__name__)

AGENT_LOST: Final = "agent-lost"


class AgentLivenessRepository(Protocol):
    """The `AgentRepository` methods the monitor uses."""

    async def mark_lost_agents(self, heartbeat_timeout: float) -> list[AgentId]: ...

    async def list_agents(
        self,
        scaling_group: str | None = None,
        statuses: Collection[AgentStatus] | None = None,
    ) -> list[AgentInfo]: ...

    async def get_agent(self, agent_id: AgentId) -> AgentInfo: ...


class LostKernelTerminator(Protocol):
    """The kernel state engine's reads and writes the monitor uses."""

    async def find_bound_unfinished_kernels(self, agent_id: AgentId) -> list[KernelInfo]: ...

    async def mark_kernels_terminated(
        self, kernel_ids: Iterable[KernelId], reason: str
    ) -> list[KernelId]: ...


@dataclass(frozen=True, slots=True)
class LivenessReport:
    #: Agents this pass marked LOST.
    newly_lost: tuple[AgentId, ...] = ()
    #: LOST agents past the grace period whose kernels were released.
    released: tuple[AgentId, ...] = ()
    terminated_kernels: tuple[KernelId, ...] = ()


class AgentLivenessMonitor:
    """Raises ConfigurationError for a timeout or grace period that is not positive / negative."""

    def __init__(
        self,
        agents: AgentLivenessRepository,
        kernels: LostKernelTerminator,
        clock: Clock,
        *,
        heartbeat_timeout: float,
        kernel_grace_period: float,
    ) -> None:
        if heartbeat_timeout <= 0 or kernel_grace_period < 0:
            raise ConfigurationError(
                "heartbeat_timeout must be positive and kernel_grace_period not negative"
            )
        self._agents = agents
        self._kernels = kernels
        self._clock = clock
        self._heartbeat_timeout = heartbeat_timeout
        self._grace = timedelta(seconds=kernel_grace_period)

    async def check(self) -> LivenessReport:
        """One pass; safe to repeat and to run on several managers at once."""
        newly_lost = await self._agents.mark_lost_agents(self._heartbeat_timeout)
        if newly_lost:
            log.warning("agents stopped heartbeating and are now LOST: %s", ", ".join(newly_lost))
        cutoff = self._clock.now() - self._grace
        overdue = [
            agent
            for agent in await self._agents.list_agents(statuses=[AgentStatus.LOST])
            if agent.lost_at is not None and agent.lost_at <= cutoff
        ]
        released: list[AgentId] = []
        terminated: list[KernelId] = []
        for agent in overdue:
            moved = await self._release(agent)
            if moved:
                released.append(agent.agent_id)
                terminated += moved
        return LivenessReport(tuple(newly_lost), tuple(released), tuple(terminated))

    async def _release(self, agent: AgentInfo) -> list[KernelId]:
        """Terminate the agent's kernels if it is still the same LOST incarnation."""
        kernels = await self._kernels.find_bound_unfinished_kernels(agent.agent_id)
        if not kernels or not await self._still_lost(agent):
            return []
        moved = await self._kernels.mark_kernels_terminated(
            (kernel.kernel_id for kernel in kernels), AGENT_LOST
        )
        log.warning(
            "agent %s has been LOST since %s; %d kernel(s) marked TERMINATED",
            agent.agent_id,
            agent.lost_at,
            len(moved),
        )
        return moved

    async def _still_lost(self, selected: AgentInfo) -> bool:
        try:
            current = await self._agents.get_agent(selected.agent_id)
        except NotFoundError:
            return True
        return (
            current.status is AgentStatus.LOST
            and current.instance_id == selected.instance_id
            and current.lost_at == selected.lost_at
        )
