"""Cluster networking: which network a session's kernels share and where each one is reached.

A single-kernel session needs no network. For a cluster (cluster_size > 1):

- `network_type == "host"`: kernels use their agents' host network; each kernel gets an SSH
  port from its agent (`assign_port`) and peers are reached at `host:port`.
- single-node: every kernel is on one agent, which creates a local network for them.
- multi-node: a `NetworkPlugin` chosen by name spans the agents. The built-in "local" plugin
  works for agents on this machine (it creates the same local network on each of them).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol
from urllib.parse import urlsplit

from sokovan.clients.agent_rpc import AgentClientProvider
from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.scheduling import ClusterMode
from sokovan.repositories.scheduler.types import KernelInfo, SessionDataForStart
from sokovan.scheduler.launcher.types import LOCAL_NETWORK_PLUGIN, SessionLaunchError

#: `network_type` values: host networking, or the default per cluster mode.
HOST_NETWORK: Final = "host"
DEFAULT_NETWORK_TYPES: Final = frozenset({None, "volatile"})


@dataclass(frozen=True, slots=True)
class ClusterNetwork:
    """What a session's kernels are told about their network."""

    #: The shared network; None when the kernels need none.
    name: str | None
    #: Each kernel's hostname → the address its peers reach it at.
    hosts: Mapping[str, str]
    #: Host networking only: the SSH port each kernel listens on.
    ssh_ports: Mapping[KernelId, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NetworkRequest:
    """A multi-node network to create for one session."""

    session_id: SessionId
    name: str
    kernels: tuple[KernelInfo, ...]


class NetworkPlugin(Protocol):
    async def create_network(
        self, request: NetworkRequest, agents: AgentClientProvider
    ) -> ClusterNetwork:
        """Create (idempotently) a network spanning the request's agents.

        Raises SessionLaunchError when the plugin cannot span these agents, AgentError when
        an agent fails.
        """
        ...


def agent_host(kernel: KernelInfo) -> str:
    """The host part of the kernel's agent address; SessionLaunchError when it has none."""
    host = urlsplit(kernel.agent_addr).hostname if kernel.agent_addr else None
    if not host:
        raise SessionLaunchError(
            f"kernel {kernel.kernel_id} has no usable agent address ({kernel.agent_addr!r})"
        )
    return host


def bound_agent(kernel: KernelInfo) -> AgentId:
    """The kernel's agent; SessionLaunchError for a kernel that is not placed."""
    if kernel.agent_id is None:
        raise SessionLaunchError(f"kernel {kernel.kernel_id} is not placed on an agent")
    return kernel.agent_id


def kernel_hosts(kernels: Sequence[KernelInfo]) -> dict[str, str]:
    return {kernel.cluster_hostname: agent_host(kernel) for kernel in kernels}


def _agents_of(kernels: Sequence[KernelInfo]) -> list[AgentId]:
    return list(dict.fromkeys(k.agent_id for k in kernels if k.agent_id is not None))


async def create_local_networks(
    agents: AgentClientProvider, agent_ids: Sequence[AgentId], name: str
) -> None:
    """`create_local_network(name)` on every agent, concurrently; the first error is raised."""

    async def create_on(agent_id: AgentId) -> None:
        async with agents.acquire(agent_id) as agent:
            await agent.create_local_network(name)

    await asyncio.gather(*(create_on(agent_id) for agent_id in agent_ids))


class LocalNetworkPlugin:
    """Spans agents that run on this machine, where one local network name reaches them all."""

    async def create_network(
        self, request: NetworkRequest, agents: AgentClientProvider
    ) -> ClusterNetwork:
        hosts = kernel_hosts(request.kernels)
        remote = sorted({host for host in hosts.values() if not _is_this_machine(host)})
        if remote:
            raise SessionLaunchError(
                f"the {LOCAL_NETWORK_PLUGIN!r} network plugin only spans agents on this "
                f"machine, but session {request.session_id} has kernels on {', '.join(remote)}; "
                "configure a network plugin for multi-node clusters"
            )
        await create_local_networks(agents, _agents_of(request.kernels), request.name)
        return ClusterNetwork(request.name, hosts)


def _is_this_machine(host: str) -> bool:
    if host in ("localhost", socket.gethostname()):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class NetworkPluginRegistry:
    """Network plugins by name; the "local" plugin is always there unless replaced."""

    def __init__(self, plugins: Mapping[str, NetworkPlugin] | None = None) -> None:
        self._plugins: dict[str, NetworkPlugin] = {LOCAL_NETWORK_PLUGIN: LocalNetworkPlugin()}
        self._plugins.update(plugins or {})

    def register(self, name: str, plugin: NetworkPlugin) -> None:
        self._plugins[name] = plugin

    @property
    def names(self) -> list[str]:
        return sorted(self._plugins)

    def get(self, name: str) -> NetworkPlugin:
        """The plugin called `name`; SessionLaunchError naming the available ones otherwise."""
        try:
            return self._plugins[name]
        except KeyError:
            raise SessionLaunchError(
                f"network plugin {name!r} is not registered; available plugins: "
                f"{', '.join(self.names)}"
            ) from None


class ClusterNetworkBuilder:
    """Sets up the network of one session before its kernels are created."""

    def __init__(
        self, agents: AgentClientProvider, plugins: NetworkPluginRegistry, plugin_name: str
    ) -> None:
        self._agents = agents
        self._plugins = plugins
        self._plugin_name = plugin_name

    async def setup(self, data: SessionDataForStart) -> ClusterNetwork:
        """Raises SessionLaunchError for an unknown network type or plugin, AgentError when an
        agent fails."""
        session = data.session
        if session.cluster_size <= 1:
            return ClusterNetwork(None, kernel_hosts(data.kernels))
        if data.network_type == HOST_NETWORK:
            return await self._host_network(data.kernels)
        if data.network_type not in DEFAULT_NETWORK_TYPES:
            raise SessionLaunchError(
                f"session {session.session_id} asks for network type {data.network_type!r}; "
                f"known types: {HOST_NETWORK!r}, 'volatile' (the default)"
            )
        name = data.network_id or f"sokovan-{session.session_id.hex}"
        if session.cluster_mode is ClusterMode.SINGLE_NODE:
            agent_ids = _agents_of(data.kernels)
            if len(agent_ids) != 1:
                raise SessionLaunchError(
                    f"single-node session {session.session_id} spans {len(agent_ids)} agents"
                )
            await create_local_networks(self._agents, agent_ids, name)
            return ClusterNetwork(name, kernel_hosts(data.kernels))
        plugin = self._plugins.get(self._plugin_name)
        request = NetworkRequest(session.session_id, name, data.kernels)
        return await plugin.create_network(request, self._agents)

    async def _host_network(self, kernels: Sequence[KernelInfo]) -> ClusterNetwork:
        async def port_of(kernel: KernelInfo) -> int:
            async with self._agents.acquire(bound_agent(kernel)) as agent:
                return await agent.assign_port()

        ports = await asyncio.gather(*(port_of(kernel) for kernel in kernels))
        hosts = {
            kernel.cluster_hostname: f"{agent_host(kernel)}:{port}"
            for kernel, port in zip(kernels, ports, strict=True)
        }
        ssh_ports = {kernel.kernel_id: port for kernel, port in zip(kernels, ports, strict=True)}
        return ClusterNetwork(None, hosts, ssh_ports)
