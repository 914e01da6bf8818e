"""The embedded installation running: the manager in this process, local agents beside it.

`EmbeddedCluster` is what `sokovan up` runs after the bootstrap: a `ManagerService` on the
SQLite (or configured) database, and `LocalAgents` reporting to it. Stopping is ordered so
that nothing is left behind: sessions are terminated first (bounded), then agents stop,
then any kernel an agent still lists is killed, then the manager stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.errors import ConfigurationError
from sokovan.common.status import AgentStatus
from sokovan.config import SokovanConfig
from sokovan.db.engine import create_engine
from sokovan.manager.local_agents import LocalAgents, plan_local_agents
from sokovan.manager.service import ManagerService
from sokovan.manager.wiring import build_manager

log = logging.getLogger(__name__)

_REGISTRATION_POLL = 0.2
AGENTS_DIR = "agents"


@dataclass(frozen=True, slots=True)
class EmbeddedOptions:
    host: str = "127.0.0.1"
    port: int = 8090
    agents: int = 2


class AgentStartError(ConfigurationError):
    """A local agent exited or did not register in time."""


class EmbeddedCluster:
    """The manager and `options.agents` local agents; `start`, then `stop` (idempotent)."""

    def __init__(self, config: SokovanConfig, options: EmbeddedOptions, agent_token: str) -> None:
        self._config = config
        self._options = options
        self._token = agent_token
        self._engine: AsyncEngine | None = None
        self._manager: ManagerService | None = None
        self._agents: LocalAgents | None = None

    @property
    def manager(self) -> ManagerService:
        if self._manager is None:
            raise RuntimeError("the cluster is not started")
        return self._manager

    @property
    def agents(self) -> LocalAgents:
        if self._agents is None:
            raise RuntimeError("the cluster is not started")
        return self._agents

    async def start(self) -> None:
        """Serve the manager and spawn the agents; raises OSError if the port is taken."""
        self._engine = create_engine(
            self._config.resolved_database_url(), echo=self._config.database_echo
        )
        components = build_manager(self._config.manager, self._engine, agent_token=self._token)
        self._manager = ManagerService(components, self._options.host, self._options.port)
        await self._manager.start()
        local = self._config.local_agents
        specs = plan_local_agents(
            self._options.agents,
            self._config.data_dir / AGENTS_DIR,
            self._manager.url,
            cpu_fraction=local.cpu_fraction,
            mem_fraction=local.mem_fraction,
            heartbeat_interval=local.heartbeat_interval,
        )
        self._agents = LocalAgents(specs, self._token, local.stop_timeout)
        await self._agents.start()

    async def wait_for_agents(self, progress: Callable[[int, int], None]) -> None:
        """Until every local agent is ALIVE in the registry, reporting (registered, total).

        Raises AgentStartError when an agent exits or the registration timeout passes.
        """
        wanted = {spec.agent_id for spec in self.agents.specs}
        try:
            async with asyncio.timeout(self._config.local_agents.register_timeout):
                while True:
                    alive = await self._alive_agents()
                    progress(len(wanted & alive), len(wanted))
                    if wanted <= alive:
                        return
                    self._check_agents_running()
                    await asyncio.sleep(_REGISTRATION_POLL)
        except TimeoutError:
            raise AgentStartError(
                f"the local agents did not all register within "
                f"{self._config.local_agents.register_timeout:g} s; see their logs under "
                f"{self._config.data_dir / AGENTS_DIR}"
            ) from None

    async def _alive_agents(self) -> set[str]:
        repository = self.manager.components.agent_repository
        return {
            agent.agent_id for agent in await repository.list_agents(statuses=[AgentStatus.ALIVE])
        }

    def _check_agents_running(self) -> None:
        exited = self.agents.exited()
        if exited:
            which = ", ".join(f"{agent} (exit code {code})" for agent, code in exited.items())
            raise AgentStartError(
                f"local agents exited: {which}; see their logs under "
                f"{self._config.data_dir / AGENTS_DIR}"
            )

    async def stop(self) -> None:
        """Terminate sessions (bounded), stop the agents, kill leftovers, stop the manager."""
        if self._manager is not None and self._agents is not None:
            left = await self._manager.terminate_sessions(
                self._config.local_agents.session_stop_timeout
            )
            if left:
                log.warning(
                    "%d session(s) did not end in time; their kernels are killed", len(left)
                )
        if self._agents is not None:
            await self._agents.stop()
            self._agents.kill_leftover_kernels()
        if self._manager is not None:
            await self._manager.stop()
        if self._engine is not None:
            await self._engine.dispose()
        self._manager = self._agents = self._engine = None
