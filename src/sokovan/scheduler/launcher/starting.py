"""Kernel creation: sessions start concurrently, each within its own time limit.

Per session: check it can be launched at all, set up its network, generate the cluster SSH
keypair (clusters only), build every kernel's creation config, and send one create_kernels
call per agent, concurrently. Creation then completes asynchronously (agent events).

Failures are recorded in the session's status_data and never end the session here: the
coordinator's CREATING timeout decides. A session that cannot be launched as stored (no
kernels, unknown image, …) is recorded without reaching any agent. Only when agents were
called and not a single kernel of any session was accepted does the error propagate, so the
coordinator sends the sessions back to PENDING at once (seed 001 SC-ST-003).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from sokovan.agent.protocol import CreateKernelsRequest, RpcMethod
from sokovan.clients.agent_rpc import AgentClientProvider, AgentRpcError
from sokovan.common.errors import AgentError
from sokovan.common.ids import AgentId, SessionId
from sokovan.repositories.scheduler.types import ImageConfig, ImageIdentifier, SessionDataForStart
from sokovan.repositories.scheduler.write_status_data import SessionErrorDetail
from sokovan.scheduler.launcher.kernel_config import check_launchable, create_kernels_requests
from sokovan.scheduler.launcher.network import ClusterNetworkBuilder
from sokovan.scheduler.launcher.ssh import generate_ssh_keypair_async
from sokovan.scheduler.launcher.types import (
    START_PHASE,
    LauncherConfig,
    SessionErrorRecorder,
    SessionLaunchError,
    StartReport,
    error_detail,
    every_agent_failed,
    record_errors,
)


class StartKind(Enum):
    STARTED = "started"  #: every kernel was accepted
    PARTIAL = "partial"  #: some agents accepted kernels, others failed
    AGENT_FAILED = "agent-failed"  #: agents were called; none accepted anything
    INVALID = "invalid"  #: the session cannot be launched as stored; no agent was called


@dataclass(frozen=True, slots=True)
class SessionStart:
    session_id: SessionId
    kind: StartKind
    errors: tuple[AgentError | SessionLaunchError, ...] = ()

    def details(self) -> tuple[SessionErrorDetail, ...]:
        return tuple(error_detail(error) for error in self.errors)

    def agent_failure(self) -> AgentError | None:
        """The error that kept every agent of the session from accepting anything."""
        if self.kind is not StartKind.AGENT_FAILED:
            return None
        return next((e for e in self.errors if isinstance(e, AgentError)), None)


@dataclass(frozen=True, slots=True)
class _AgentAnswer:
    accepted: int
    error: AgentError | None = None


class SessionStarter:
    def __init__(
        self,
        agents: AgentClientProvider,
        network: ClusterNetworkBuilder,
        errors: SessionErrorRecorder,
        config: LauncherConfig,
    ) -> None:
        self._agents = agents
        self._network = network
        self._errors = errors
        self._config = config

    async def start(
        self,
        sessions: Sequence[SessionDataForStart],
        image_configs: Mapping[ImageIdentifier, ImageConfig],
    ) -> StartReport:
        """Start every session; raises AgentError only when no agent accepted anything."""
        starts = await asyncio.gather(*(self._start_one(s, image_configs) for s in sessions))
        errors = {start.session_id: start.details() for start in starts if start.errors}
        await record_errors(self._errors, START_PHASE, errors)
        attempted = [start for start in starts if start.kind is not StartKind.INVALID]
        failures = [f for start in attempted if (f := start.agent_failure()) is not None]
        failure = every_agent_failed(len(attempted), failures)
        if failure is not None:
            raise failure
        started = tuple(s.session_id for s in starts if s.kind is StartKind.STARTED)
        return StartReport(started=started, errors=errors)

    async def _start_one(
        self, data: SessionDataForStart, image_configs: Mapping[ImageIdentifier, ImageConfig]
    ) -> SessionStart:
        session_id = data.session.session_id
        limit = self._config.session_start_timeout
        try:
            check_launchable(data, image_configs)
            async with asyncio.timeout(limit):
                return await self._launch(data, image_configs)
        except SessionLaunchError as exc:
            return SessionStart(session_id, StartKind.INVALID, (exc,))
        except TimeoutError:
            late = AgentError(f"starting session {session_id} took longer than {limit:g} s")
            return SessionStart(session_id, StartKind.AGENT_FAILED, (late,))
        except AgentError as exc:
            return SessionStart(session_id, StartKind.AGENT_FAILED, (exc,))

    async def _launch(
        self, data: SessionDataForStart, image_configs: Mapping[ImageIdentifier, ImageConfig]
    ) -> SessionStart:
        network = await self._network.setup(data)
        clustered = data.session.cluster_size > 1
        keypair = await generate_ssh_keypair_async() if clustered else None
        requests = create_kernels_requests(data, image_configs, network, keypair, self._config)
        if len(requests) == 1:  # one agent (every single-kernel session): no task needed
            [(agent_id, request)] = requests.items()
            answers = [await self._create(agent_id, request)]
        else:
            answers = await asyncio.gather(
                *(self._create(agent_id, request) for agent_id, request in requests.items())
            )
        errors = tuple(answer.error for answer in answers if answer.error is not None)
        if not errors:
            kind = StartKind.STARTED
        elif any(answer.accepted for answer in answers):
            kind = StartKind.PARTIAL
        else:
            kind = StartKind.AGENT_FAILED
        return SessionStart(data.session.session_id, kind, errors)

    async def _create(self, agent_id: AgentId, request: CreateKernelsRequest) -> _AgentAnswer:
        try:
            async with self._agents.acquire(agent_id) as agent:
                answer = await agent.create_kernels(request)
        except AgentError as exc:
            return _AgentAnswer(0, exc)
        wanted = [config.kernel_id for config in request.kernel_configs]
        refused = sorted(set(wanted) - set(answer.accepted))
        if not refused:
            return _AgentAnswer(len(wanted))
        problem = AgentRpcError(
            agent_id, RpcMethod.CREATE_KERNELS.value, f"refused kernels {', '.join(refused)}"
        )
        return _AgentAnswer(len(wanted) - len(refused), problem)
