"""The agent RPC port: what code that calls agents depends on, and how such a call fails.

`AgentClientPool` (agent_client.py) implements it over HTTP; unit tests implement it with
recording fakes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from sokovan.agent.protocol import (
    AgentInfoResponse,
    CheckAndPullResponse,
    CreateKernelsRequest,
    CreateKernelsResponse,
    CreateLocalNetworkResponse,
    DestroyKernelRequest,
    DestroyKernelResponse,
    ImageSpec,
    KernelLogsResponse,
)
from sokovan.common.errors import AgentError
from sokovan.common.ids import AgentId, KernelId


class AgentRpcError(AgentError):
    """An RPC to an agent failed.

    `unreachable` is True when no answer came at all (no address, connection refused, timeout),
    as opposed to an answer that reported an error (`status_code`) or did not parse.
    """

    def __init__(
        self,
        agent_id: AgentId,
        method: str,
        problem: str,
        *,
        status_code: int | None = None,
        unreachable: bool = False,
    ) -> None:
        super().__init__(f"agent {agent_id!r}: {method} failed: {problem}")
        self.agent_id = agent_id
        self.method = method
        self.status_code = status_code
        self.unreachable = unreachable


class AgentRpc(Protocol):
    """The RPCs of one agent (`AgentClient`, or a recording fake in tests)."""

    @property
    def agent_id(self) -> AgentId: ...

    async def check_and_pull(self, images: Sequence[ImageSpec]) -> CheckAndPullResponse: ...

    async def create_kernels(self, request: CreateKernelsRequest) -> CreateKernelsResponse: ...

    async def destroy_kernel(self, request: DestroyKernelRequest) -> DestroyKernelResponse: ...

    async def check_running(self, kernel_id: KernelId) -> bool | None: ...

    async def create_local_network(self, name: str) -> CreateLocalNetworkResponse: ...

    async def assign_port(self) -> int: ...

    async def kernel_logs(
        self, kernel_id: KernelId, max_bytes: int | None = None
    ) -> KernelLogsResponse: ...

    async def info(self) -> AgentInfoResponse: ...


class AgentClientProvider(Protocol):
    """Hands out the RPC client of an agent by id (`AgentClientPool`, or a fake)."""

    def acquire(self, agent_id: AgentId) -> AbstractAsyncContextManager[AgentRpc]:
        """Raises AgentRpcError on entering when the agent's address is unknown."""
        ...


class AgentAddressResolver(Protocol):
    """Where agents serve RPC (`AgentRepository.get_agent_addresses` fits)."""

    async def get_agent_addresses(self, agent_ids: Collection[AgentId]) -> Mapping[AgentId, str]:
        """The address of each known agent among `agent_ids`; unknown ids are absent."""
        ...
