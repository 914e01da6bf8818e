"""Clients of the processes the manager talks to (agents, watchers, the app proxy)."""

from sokovan.clients.agent_client import AgentClient, AgentClientPool, AgentRpcTimeouts
from sokovan.clients.agent_rpc import (
    AgentAddressResolver,
    AgentClientProvider,
    AgentRpc,
    AgentRpcError,
)

__all__ = [
    "AgentAddressResolver",
    "AgentClient",
    "AgentClientPool",
    "AgentClientProvider",
    "AgentRpc",
    "AgentRpcError",
    "AgentRpcTimeouts",
]
