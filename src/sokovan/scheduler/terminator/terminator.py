"""SessionTerminator: the `SessionTerminatorPort` over agent RPCs.

Termination (seed 000 TS-001…006, reconciled with seed 001 SC-TS): every unfinished kernel
with an agent gets a destroy RPC, all agents and kernels concurrently; the agent's
`kernel_terminated` event then moves the kernel to TERMINATED. Kernels that no agent can
destroy are moved to TERMINATED here, through the kernel state engine:

- already TERMINATED/CANCELLED: skipped (TS-006);
- no agent (never placed), or the agent does not know the kernel: nothing runs, so only the
  database changes (TS-003), with the session's termination reason;
- the agent is known LOST (or left, or is gone from the registry): "agent-lost" (TS-002);
- the RPC found the agent unreachable and the agent is LOST by now: "agent-unreachable".

Any other failure leaves the kernel as it is for the next TERMINATE cycle (TS-004): a kernel
that might still run is never declared gone just because one call failed. Nothing raises for
an agent's failure; the report says what happened.

The stale-kernel check lives in `stale.py`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from sokovan.agent.protocol import DestroyKernelRequest, DestroyKernelResponse
from sokovan.clients.agent_rpc import AgentClientProvider, AgentRpc, AgentRpcError
from sokovan.common.errors import AgentError, NotFoundError
from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.status import AgentStatus, KernelStatus
from sokovan.repositories.agent.types import AgentInfo
from sokovan.repositories.scheduler.types import KernelInfo, TerminatingSessionData
from sokovan.scheduler.terminator.stale import KernelPresenceReader, StaleKernelChecker

log = logging.getLogger(__name__)

AGENT_LOST: Final = "agent-lost"
AGENT_UNREACHABLE: Final = "agent-unreachable"
#: The reason sent and recorded when the session carries none.
DEFAULT_TERMINATION_REASON: Final = "user-requested"

_FINISHED = KernelStatus.finished_statuses()


class AgentStatusReader(Protocol):
    """`AgentRepository.get_agent`: raises NotFoundError for an unknown agent."""

    async def get_agent(self, agent_id: AgentId) -> AgentInfo: ...


class KernelTerminationWriter(Protocol):
    """The kernel state engine's termination write."""

    async def mark_kernels_terminated(
        self, kernel_ids: Iterable[KernelId], reason: str
    ) -> list[KernelId]: ...


@dataclass(frozen=True, slots=True)
class TerminationReport:
    """Where each kernel of the terminated sessions went, by outcome."""

    #: The agent accepted the destroy; its event finishes the kernel.
    destroy_requested: tuple[KernelId, ...] = ()
    already_finished: tuple[KernelId, ...] = ()
    #: Marked TERMINATED directly: no agent, or the agent did not know the kernel.
    without_agent: tuple[KernelId, ...] = ()
    unknown_to_agent: tuple[KernelId, ...] = ()
    #: Marked TERMINATED as "agent-lost" / "agent-unreachable".
    agent_lost: tuple[KernelId, ...] = ()
    agent_unreachable: tuple[KernelId, ...] = ()
    #: The RPC failed and the agent is not known lost: the next cycle retries.
    left_for_retry: tuple[KernelId, ...] = ()
    #: Why each agent's calls failed.
    agent_errors: dict[AgentId, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Target:
    kernel_id: KernelId
    session_id: SessionId
    reason: str


@dataclass
class _AgentOutcome:
    requested: list[KernelId] = field(default_factory=list)
    unknown: list[KernelId] = field(default_factory=list)
    failed: list[KernelId] = field(default_factory=list)
    error: AgentError | None = None
    unreachable: bool = False


class SessionTerminator:
    def __init__(
        self,
        agents: AgentClientProvider,
        agent_status: AgentStatusReader,
        kernels: KernelTerminationWriter,
        presence: KernelPresenceReader,
    ) -> None:
        self._agents = agents
        self._agent_status = agent_status
        self._kernels = kernels
        self._stale = StaleKernelChecker(agents, presence)

    async def terminate_sessions_for_handler(
        self, sessions: Sequence[TerminatingSessionData]
    ) -> None:
        """Send destroy RPCs for every kernel that has an agent; results arrive as events."""
        await self.terminate_sessions(sessions)

    async def check_stale_kernels(self, kernels: Sequence[KernelInfo]) -> list[KernelId]:
        """The kernels confirmed dead (see `StaleKernelChecker.check`)."""
        return await self._stale.check(kernels)

    async def terminate_sessions(
        self, sessions: Sequence[TerminatingSessionData]
    ) -> TerminationReport:
        """`terminate_sessions_for_handler`, reporting where each kernel went."""
        finished: list[KernelId] = []
        unplaced: list[_Target] = []
        by_agent: dict[AgentId, list[_Target]] = defaultdict(list)
        for session in sessions:
            reason = session.status_info or DEFAULT_TERMINATION_REASON
            for kernel in session.kernels:
                target = _Target(kernel.kernel_id, session.session_id, reason)
                if kernel.status in _FINISHED:
                    finished.append(kernel.kernel_id)
                elif kernel.agent_id is None:
                    unplaced.append(target)
                else:
                    by_agent[kernel.agent_id].append(target)
        lost = await self._lost_agents(by_agent)
        reachable = [agent_id for agent_id in by_agent if agent_id not in lost]
        outcomes = await asyncio.gather(*(self._destroy_on(a, by_agent[a]) for a in reachable))
        return await self._settle(
            finished, unplaced, by_agent, lost, dict(zip(reachable, outcomes, strict=True))
        )

    async def _settle(
        self,
        finished: list[KernelId],
        unplaced: list[_Target],
        by_agent: dict[AgentId, list[_Target]],
        lost: set[AgentId],
        outcomes: dict[AgentId, _AgentOutcome],
    ) -> TerminationReport:
        """Mark what no agent will report, and say where every kernel went."""
        targets = {t.kernel_id: t for group in by_agent.values() for t in group}
        # Only an agent that is LOST by now lets an unreachable RPC mean "gone".
        gone_now = await self._lost_agents(a for a, o in outcomes.items() if o.unreachable)
        unreachable = [k for a in gone_now for k in outcomes[a].failed]
        unknown = [k for outcome in outcomes.values() for k in outcome.unknown]
        return TerminationReport(
            destroy_requested=tuple(k for o in outcomes.values() for k in o.requested),
            already_finished=tuple(finished),
            without_agent=tuple(await self._mark(unplaced)),
            unknown_to_agent=tuple(await self._mark(targets[k] for k in unknown)),
            agent_lost=tuple(await self._mark((t for a in lost for t in by_agent[a]), AGENT_LOST)),
            agent_unreachable=tuple(
                await self._mark((targets[k] for k in unreachable), AGENT_UNREACHABLE)
            ),
            left_for_retry=tuple(
                k for a, o in outcomes.items() if a not in gone_now for k in o.failed
            ),
            agent_errors={a: str(o.error) for a, o in outcomes.items() if o.error is not None},
        )

    async def _lost_agents(self, agent_ids: Iterable[AgentId]) -> set[AgentId]:
        """Those of `agent_ids` known to be gone: LOST, left, or no longer registered."""
        ids = list(agent_ids)
        gone = await asyncio.gather(*(self._is_gone(agent_id) for agent_id in ids))
        return {agent_id for agent_id, is_gone in zip(ids, gone, strict=True) if is_gone}

    async def _is_gone(self, agent_id: AgentId) -> bool:
        try:
            agent = await self._agent_status.get_agent(agent_id)
        except NotFoundError:
            return True
        return agent.status is not AgentStatus.ALIVE

    async def _destroy_on(self, agent_id: AgentId, targets: Sequence[_Target]) -> _AgentOutcome:
        outcome = _AgentOutcome()
        try:
            async with self._agents.acquire(agent_id) as agent:
                answers = await asyncio.gather(*(_destroy(agent, t) for t in targets))
        except AgentError as exc:
            answers = [exc] * len(targets)
        for target, answer in zip(targets, answers, strict=True):
            if isinstance(answer, AgentError):
                outcome.failed.append(target.kernel_id)
                outcome.error = answer
                outcome.unreachable |= isinstance(answer, AgentRpcError) and answer.unreachable
            elif answer.known:
                outcome.requested.append(target.kernel_id)
            else:
                outcome.unknown.append(target.kernel_id)
        if outcome.error is not None:
            log.warning(
                "destroying %d kernel(s) on agent %s failed; they are retried: %s",
                len(outcome.failed),
                agent_id,
                outcome.error,
            )
        return outcome

    async def _mark(self, targets: Iterable[_Target], reason: str | None = None) -> list[KernelId]:
        """Mark the targets TERMINATED, with `reason` or each one's own; returns those moved."""
        by_reason: dict[str, list[KernelId]] = defaultdict(list)
        for target in targets:
            by_reason[reason or target.reason].append(target.kernel_id)
        moved: list[KernelId] = []
        for why, kernel_ids in by_reason.items():
            moved += await self._kernels.mark_kernels_terminated(kernel_ids, why)
        return moved


async def _destroy(agent: AgentRpc, target: _Target) -> DestroyKernelResponse | AgentError:
    request = DestroyKernelRequest(
        kernel_id=str(target.kernel_id), session_id=str(target.session_id), reason=target.reason
    )
    try:
        return await agent.destroy_kernel(request)
    except AgentError as exc:
        return exc
