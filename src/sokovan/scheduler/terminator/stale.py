"""Which running kernels are dead: a two-stage check that never guesses.

Stage 1 asks the hint store: a kernel its agent reported recently (presence ALIVE) is alive,
with no RPC at all. Stage 2 asks the agent of every other kernel (presence missing or STALE)
`check_running`; only an explicit False ("known to be gone") makes the kernel dead. None
("cannot tell"), an agent error and a kernel without an agent never do: the sweeper must not
kill a kernel because of a network hiccup. A LOST agent's kernels are the agent-loss
handling's business (`sokovan.scheduler.agent_liveness`), not this check's.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Protocol

from sokovan.clients.agent_rpc import AgentClientProvider, AgentRpc
from sokovan.common.errors import AgentError
from sokovan.common.ids import AgentId, KernelId
from sokovan.infra.valkey_schedule.base import KernelPresence
from sokovan.repositories.scheduler.types import KernelInfo

log = logging.getLogger(__name__)


class KernelPresenceReader(Protocol):
    """The hint store's presence read."""

    async def check_kernel_presence(
        self, kernel_ids: Sequence[KernelId]
    ) -> Mapping[KernelId, KernelPresence]: ...


class StaleKernelChecker:
    def __init__(self, agents: AgentClientProvider, presence: KernelPresenceReader) -> None:
        self._agents = agents
        self._presence = presence

    async def check(self, kernels: Sequence[KernelInfo]) -> list[KernelId]:
        """The kernels confirmed dead, in input order; agents are asked concurrently."""
        bound = [(k.kernel_id, k.agent_id) for k in kernels if k.agent_id is not None]
        if not bound:
            return []
        presence = await self._presence.check_kernel_presence([k for k, _ in bound])
        suspects: dict[AgentId, list[KernelId]] = defaultdict(list)
        for kernel_id, agent_id in bound:
            if presence.get(kernel_id) is not KernelPresence.ALIVE:
                suspects[agent_id].append(kernel_id)
        confirmed = await asyncio.gather(
            *(self._confirm_dead(agent_id, ids) for agent_id, ids in suspects.items())
        )
        dead = {kernel_id for found in confirmed for kernel_id in found}
        return [kernel.kernel_id for kernel in kernels if kernel.kernel_id in dead]

    async def _confirm_dead(
        self, agent_id: AgentId, kernel_ids: Sequence[KernelId]
    ) -> list[KernelId]:
        """The kernels the agent says are gone; on an agent error, none (with a warning)."""
        try:
            async with self._agents.acquire(agent_id) as agent:
                answers = await asyncio.gather(*(_running(agent, k) for k in kernel_ids))
        except AgentError as exc:
            answers = [exc] * len(kernel_ids)
        errors = [answer for answer in answers if isinstance(answer, AgentError)]
        if errors:
            log.warning(
                "could not confirm %d stale kernel(s) on agent %s; skipped: %s",
                len(errors),
                agent_id,
                errors[0],
            )
        return [k for k, answer in zip(kernel_ids, answers, strict=True) if answer is False]


async def _running(agent: AgentRpc, kernel_id: KernelId) -> bool | AgentError | None:
    try:
        return await agent.check_running(kernel_id)
    except AgentError as exc:
        return exc
