"""Registering with the manager and staying registered: one heartbeat every interval.

The first heartbeat goes out at once (it is the registration). A failed heartbeat is logged
and the next one is simply sent on schedule: each heartbeat carries the complete state, so
there is nothing to retry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sokovan.agent.gateway import GatewayError, ManagerGateway
from sokovan.agent.protocol import AgentHeartbeatMessage

log = logging.getLogger(__name__)


class HeartbeatLoop:
    def __init__(
        self,
        gateway: ManagerGateway,
        message: Callable[[], AgentHeartbeatMessage],
        interval: float,
    ) -> None:
        self._gateway = gateway
        self._message = message
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        #: Consecutive failed heartbeats (0 while the manager answers).
        self.failures = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="heartbeat")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            await self._beat()
            await asyncio.sleep(self._interval)

    async def _beat(self) -> None:
        try:
            await self._gateway.send_heartbeat(self._message())
        except GatewayError as exc:
            self.failures += 1
            if self.failures == 1:  # once per outage, not once per interval
                log.warning("heartbeat failed, will keep trying: %s", exc)
            return
        if self.failures:
            log.info("heartbeat delivered again after %d failures", self.failures)
        self.failures = 0
