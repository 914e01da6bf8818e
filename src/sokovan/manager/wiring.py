"""Wiring the manager process: the scheduler, its edges to agents, the API and agent loss.

`build_manager` is the one place the manager is assembled. The launcher and terminator reach
agents through one `AgentClientPool`; the scheduler they plug into owns the kernel state
engine they write kernel moves through, so they are handed a binding that the scheduler's
engine fills right after it exists (the scheduler needs them to be built first). The API
and the agent gateway share the scheduler's controller, hint store and kernel state engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.agent.protocol import GATEWAY_PREFIX
from sokovan.agent_gateway import AgentGatewayService, create_agent_gateway_router
from sokovan.api.app import create_app
from sokovan.api.context import ApiConfig, ApiContext, KernelLogTarget
from sokovan.api.metrics import SchedulingMetrics
from sokovan.clients import AgentClientPool
from sokovan.common.clock import Clock, SystemClock
from sokovan.common.ids import KernelId
from sokovan.common.status import KernelStatus
from sokovan.config import ManagerConfig
from sokovan.infra.valkey_schedule.memory import InMemoryValkeySchedule
from sokovan.repositories.agent import AgentRepository
from sokovan.repositories.scheduler.write_status_data import SessionErrorReport
from sokovan.scheduler.agent_liveness import AgentLivenessMonitor
from sokovan.scheduler.factory import SchedulerComponents, build_scheduler
from sokovan.scheduler.launcher.launcher import SessionLauncher
from sokovan.scheduler.launcher.types import LauncherConfig
from sokovan.scheduler.terminator.terminator import SessionTerminator


@dataclass(frozen=True, slots=True)
class ManagerComponents:
    """Everything `build_manager` wired; `ManagerService` runs it."""

    config: ManagerConfig
    scheduler: SchedulerComponents
    agent_repository: AgentRepository
    agent_clients: AgentClientPool
    launcher: SessionLauncher
    terminator: SessionTerminator
    liveness: AgentLivenessMonitor
    api_context: ApiContext
    #: The REST API with the agent gateway mounted at GATEWAY_PREFIX.
    app: FastAPI


class _SchedulerBinding:
    """The scheduler's kernel state engine and repository, for parts built before them.

    Raises RuntimeError when used before `bind` (that would be a wiring bug).
    """

    def __init__(self) -> None:
        self._components: SchedulerComponents | None = None

    def bind(self, components: SchedulerComponents) -> None:
        self._components = components

    @property
    def _bound(self) -> SchedulerComponents:
        if self._components is None:
            raise RuntimeError("the scheduler is not wired yet")
        return self._components

    async def advance_kernels(
        self, kernel_ids: Iterable[KernelId], to_status: KernelStatus, reason: str
    ) -> list[KernelId]:
        return await self._bound.kernel_state_engine.advance_kernels(kernel_ids, to_status, reason)

    async def mark_kernels_terminated(
        self, kernel_ids: Iterable[KernelId], reason: str
    ) -> list[KernelId]:
        return await self._bound.kernel_state_engine.mark_kernels_terminated(kernel_ids, reason)

    async def record_session_errors(self, reports: Sequence[SessionErrorReport]) -> int:
        return await self._bound.repository.record_session_errors(reports)


class AgentKernelLogs:
    """The API's `KernelLogs` port over agent RPC: stdout, then stderr if there is any."""

    def __init__(self, agents: AgentClientPool) -> None:
        self._agents = agents

    async def __call__(self, target: KernelLogTarget) -> str:
        async with self._agents.acquire(target.agent_id) as client:
            answer = await client.kernel_logs(target.kernel_id)
        if not answer.stderr:
            return answer.stdout
        return f"{answer.stdout}{answer.stderr}"


def build_manager(
    config: ManagerConfig,
    engine: AsyncEngine,
    *,
    agent_token: str,
    clock: Clock | None = None,
    api_config: ApiConfig | None = None,
    launcher_config: LauncherConfig | None = None,
    agent_transport: httpx.AsyncBaseTransport | None = None,
) -> ManagerComponents:
    """Wire the manager over `engine` with the in-process hint store and event bus.

    `agent_transport` replaces the network between the manager and its agents (agents served
    in-process, as in benchmarks). Nothing runs until `ManagerService.start`. Raises
    ValueError for an empty `agent_token` and ConfigurationError for settings the database
    cannot serve.
    """
    if not agent_token:
        raise ValueError("the manager needs a non-empty agent token")
    clock = clock or SystemClock()
    agent_repository = AgentRepository(engine, clock)
    hints = InMemoryValkeySchedule(
        clock, presence_lifetime=timedelta(seconds=config.presence_lifetime)
    )
    agent_clients = AgentClientPool(
        agent_token, resolver=agent_repository, transport=agent_transport
    )
    binding = _SchedulerBinding()
    launcher = SessionLauncher(agent_clients, binding, binding, launcher_config)
    terminator = SessionTerminator(agent_clients, agent_repository, binding, hints)
    metrics = SchedulingMetrics()
    scheduler = build_scheduler(
        config,
        engine,
        launcher=launcher,
        terminator=terminator,
        clock=clock,
        valkey_schedule=hints,
        observer=metrics,
    )
    binding.bind(scheduler)
    liveness = AgentLivenessMonitor(
        agent_repository,
        scheduler.kernel_state_engine,
        clock,
        heartbeat_timeout=config.agent_heartbeat_timeout,
        kernel_grace_period=config.agent_kernel_grace_period,
    )
    api_context = ApiContext.from_engine(
        engine,
        scheduler.controller,
        hints,
        clock=clock,
        config=api_config,
        metrics=metrics,
        kernel_logs=AgentKernelLogs(agent_clients),
    )
    app = create_app(api_context)
    gateway = AgentGatewayService(agent_repository, hints, scheduler.kernel_state_engine)
    app.include_router(create_agent_gateway_router(gateway, agent_token), prefix=GATEWAY_PREFIX)
    return ManagerComponents(
        config=config,
        scheduler=scheduler,
        agent_repository=agent_repository,
        agent_clients=agent_clients,
        launcher=launcher,
        terminator=terminator,
        liveness=liveness,
        api_context=api_context,
        app=app,
    )
