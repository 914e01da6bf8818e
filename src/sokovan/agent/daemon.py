"""The agent daemon: RPC server, heartbeats, event delivery, and a clean start and stop.

Start order: load the registry and re-adopt kernels (so the first RPC already sees them),
serve RPC, then announce the agent (heartbeat) and deliver events. Stop runs the reverse and
leaves kernels running: a daemon that stops is usually about to be restarted, and the next
instance re-adopts them from the registry file.
"""

from __future__ import annotations

import logging

from sokovan.agent.config import AgentConfig
from sokovan.agent.gateway import ManagerGateway
from sokovan.agent.heartbeat import HeartbeatLoop
from sokovan.agent.http_server import HttpServer
from sokovan.agent.sender import EventSender
from sokovan.agent.server import create_app
from sokovan.agent.service import AgentService, build_agent_service
from sokovan.common.clock import Clock, SystemClock

log = logging.getLogger(__name__)

#: How long a stopping daemon keeps trying to hand its last events to the manager.
_FLUSH_TIMEOUT = 2.0
_WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


class AgentDaemon:
    def __init__(self, config: AgentConfig, clock: Clock | None = None) -> None:
        self.config = config
        token = config.token.get_secret_value()
        self._gateway = ManagerGateway(config.manager_url, token)
        self._sender = EventSender(
            self._gateway, config.event_buffer_size, config.event_retry_max_seconds
        )
        self.service: AgentService = build_agent_service(
            config, self._sender, clock or SystemClock()
        )
        self._http = HttpServer(create_app(self.service, token), config.bind_host, config.bind_port)
        self._heartbeat = HeartbeatLoop(
            self._gateway,
            lambda: self.service.heartbeat(self.addr, config.watcher_addr),
            config.heartbeat_interval,
        )

    @property
    def instance_id(self) -> str:
        return self.service.identity.instance_id

    @property
    def port(self) -> int:
        """The RPC port actually bound (differs from the configured one when that is 0)."""
        return self._http.port

    @property
    def addr(self) -> str:
        """The RPC address the manager is told to use."""
        if self.config.advertised_addr:
            return self.config.advertised_addr
        host = self.config.bind_host
        if host in _WILDCARD_HOSTS:
            host = "127.0.0.1"  # reachable locally; set advertised_addr for other nodes
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        await self.service.start()
        await self._http.start()
        self._sender.start()
        self._heartbeat.start()
        log.info(
            "agent %s (instance %s, %s runtime) serving on %s",
            self.service.identity.agent_id,
            self.instance_id,
            self.service.identity.runtime,
            self.addr,
        )

    async def stop(self) -> None:
        """Stop serving and reporting; kernels keep running. Idempotent."""
        await self._heartbeat.stop()
        await self._http.stop()
        await self.service.close()
        await self._sender.stop(_FLUSH_TIMEOUT)
        await self._gateway.aclose()
