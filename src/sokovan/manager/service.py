"""ManagerService: the manager process's parts started and stopped in the right order.

Start: the scheduler's loops, the agent-loss monitor's loop, then the HTTP server (API and
agent gateway), so the first agent heartbeat already finds a scheduler that acts on it.
Stop runs in reverse. `terminate_sessions` ends every unfinished session, for an embedded
installation that is about to stop its agents too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sokovan.agent.http_server import HttpServer
from sokovan.common.ids import SessionId
from sokovan.common.status import SessionStatus
from sokovan.manager.wiring import ManagerComponents
from sokovan.repositories.api.types import SessionListQuery
from sokovan.scheduler.service import SchedulerService

log = logging.getLogger(__name__)

#: Seconds between two reads while waiting for sessions to end.
_POLL_INTERVAL = 0.2
#: Sessions listed per read when collecting the unfinished ones.
_PAGE = 500
SHUTDOWN_REASON = "manager-shutdown"


class ManagerService:
    """Runs `components` and serves their app on `host:port` (port 0: any free port).

    `start` and `stop` are idempotent; `stop` is final (build new components to restart).
    """

    def __init__(self, components: ManagerComponents, host: str, port: int) -> None:
        self._components = components
        self._scheduler = SchedulerService(components.scheduler)
        self._http = HttpServer(components.app, host, port)
        self._host = host
        self._liveness_task: asyncio.Task[None] | None = None
        self._started = False

    @property
    def components(self) -> ManagerComponents:
        return self._components

    @property
    def port(self) -> int:
        """The port actually bound (differs from the requested one when that was 0)."""
        return self._http.port

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Start the loops and serve; raises OSError when the address cannot be bound."""
        if self._started:
            return
        self._started = True
        await self._scheduler.start()
        self._liveness_task = asyncio.create_task(self._watch_agents(), name="agent-liveness")
        await self._http.start()
        log.info("manager serving on %s", self.url)

    async def stop(self) -> None:
        """Stop serving, then the loops; release the agent connections."""
        await self._http.stop()
        if self._liveness_task is not None:
            self._liveness_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._liveness_task
            self._liveness_task = None
        await self._scheduler.stop()
        await self._components.agent_clients.aclose()

    async def terminate_sessions(self, wait_seconds: float) -> list[SessionId]:
        """Request termination of every unfinished session and wait up to `wait_seconds`
        for them to end; returns those still unfinished then (empty when all ended)."""
        unfinished = await self._unfinished_sessions()
        if not unfinished:
            return []
        await self._components.scheduler.controller.mark_sessions_for_termination(
            unfinished, SHUTDOWN_REASON
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while unfinished and loop.time() < deadline:
            await asyncio.sleep(_POLL_INTERVAL)
            unfinished = await self._unfinished_sessions()
        return unfinished

    async def _unfinished_sessions(self) -> list[SessionId]:
        repository = self._components.api_context.api_repository
        statuses = frozenset(SessionStatus) - SessionStatus.terminal_statuses()
        found: list[SessionId] = []
        while True:
            query = SessionListQuery(limit=_PAGE, statuses=statuses, offset=len(found))
            page = await repository.list_sessions(query)
            found += [session.session_id for session in page.items]
            if len(page.items) < _PAGE:
                return found

    async def _watch_agents(self) -> None:
        interval = self._components.config.liveness_check_interval
        while True:
            try:
                await self._components.liveness.check()
            except Exception:
                # One failed pass (a database hiccup) must not end agent-loss handling.
                log.exception("agent liveness check failed")
            await asyncio.sleep(interval)
