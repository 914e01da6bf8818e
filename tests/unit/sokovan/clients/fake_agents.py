"""Recording fake agents behind the `AgentClientProvider` port.

`FakeAgents` hands out one `FakeAgent` per agent id. Each fake records every call and answers
from what the test configured: an image status per image, kernels it refuses or does not
know, running states, ports. `fail(agent_id, error)` makes every call to that agent raise
(or acquiring it, with `on_acquire=True`, or one method, with `method=`); `gate` lets a test
hold calls until it releases them, to prove that calls run concurrently or to time them out.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sokovan.agent.protocol import (
    AgentInfoResponse,
    CheckAndPullResponse,
    CreateKernelsRequest,
    CreateKernelsResponse,
    CreateLocalNetworkResponse,
    DestroyKernelRequest,
    DestroyKernelResponse,
    ImagePullResult,
    ImagePullStatus,
    ImageSpec,
    KernelLogsResponse,
)
from sokovan.clients.agent_rpc import AgentRpcError
from sokovan.common.errors import AgentError
from sokovan.common.ids import AgentId, KernelId


def unreachable(agent_id: str, method: str = "any") -> AgentRpcError:
    return AgentRpcError(AgentId(agent_id), method, "connection refused", unreachable=True)


def remote_error(agent_id: str, method: str = "any") -> AgentRpcError:
    return AgentRpcError(AgentId(agent_id), method, "HTTP 500: boom", status_code=500)


@dataclass
class Gate:
    """Calls wait at the gate until `open()`; `entered` counts the callers waiting."""

    opened: asyncio.Event = field(default_factory=asyncio.Event)
    entered: int = 0
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def pass_through(self) -> None:
        async with self.arrived:
            self.entered += 1
            self.arrived.notify_all()
        await self.opened.wait()

    async def wait_for(self, count: int) -> None:
        async with self.arrived:
            await self.arrived.wait_for(lambda: self.entered >= count)

    def open(self) -> None:
        self.opened.set()


@dataclass
class FakeAgent:
    agent_id: AgentId
    calls: list[tuple[str, Any]] = field(default_factory=list)
    image_status: dict[str, ImagePullStatus] = field(default_factory=dict)
    #: Images left out of the check_and_pull answer.
    unreported_images: set[str] = field(default_factory=set)
    refused_kernels: set[str] = field(default_factory=set)
    unknown_kernels: set[KernelId] = field(default_factory=set)
    running: dict[KernelId, bool | None] = field(default_factory=dict)
    failing_kernels: dict[KernelId, AgentError] = field(default_factory=dict)
    error: AgentError | None = None
    #: Errors raised by one method only.
    method_errors: dict[str, AgentError] = field(default_factory=dict)
    gate: Gate | None = None
    next_port: int = 30000

    def calls_of(self, method: str) -> list[Any]:
        return [argument for name, argument in self.calls if name == method]

    async def _enter(self, method: str, argument: Any) -> None:
        self.calls.append((method, argument))
        if self.gate is not None:
            await self.gate.pass_through()
        if self.error is not None:
            raise self.error
        if method in self.method_errors:
            raise self.method_errors[method]

    async def check_and_pull(self, images: Sequence[ImageSpec]) -> CheckAndPullResponse:
        await self._enter("check_and_pull", list(images))
        return CheckAndPullResponse(
            results=[
                ImagePullResult(
                    name=image.name,
                    architecture=image.architecture,
                    status=self.image_status.get(image.name, ImagePullStatus.READY),
                    detail="no such package" if self._failed(image.name) else None,
                )
                for image in images
                if image.name not in self.unreported_images
            ]
        )

    def _failed(self, image: str) -> bool:
        return self.image_status.get(image) is ImagePullStatus.FAILED

    async def create_kernels(self, request: CreateKernelsRequest) -> CreateKernelsResponse:
        await self._enter("create_kernels", request)
        return CreateKernelsResponse(
            accepted=[
                config.kernel_id
                for config in request.kernel_configs
                if config.kernel_id not in self.refused_kernels
            ]
        )

    async def destroy_kernel(self, request: DestroyKernelRequest) -> DestroyKernelResponse:
        await self._enter("destroy_kernel", request)
        kernel_id = KernelId(uuid.UUID(request.kernel_id))
        if kernel_id in self.failing_kernels:
            raise self.failing_kernels[kernel_id]
        return DestroyKernelResponse(known=kernel_id not in self.unknown_kernels)

    async def check_running(self, kernel_id: KernelId) -> bool | None:
        await self._enter("check_running", kernel_id)
        if kernel_id in self.failing_kernels:
            raise self.failing_kernels[kernel_id]
        return self.running.get(kernel_id, True)

    async def create_local_network(self, name: str) -> CreateLocalNetworkResponse:
        await self._enter("create_local_network", name)
        return CreateLocalNetworkResponse(name=name, created=True)

    async def assign_port(self) -> int:
        await self._enter("assign_port", None)
        self.next_port += 1
        return self.next_port

    async def kernel_logs(
        self, kernel_id: KernelId, max_bytes: int | None = None
    ) -> KernelLogsResponse:
        await self._enter("kernel_logs", kernel_id)
        return KernelLogsResponse(kernel_id=str(kernel_id), stdout="", stderr="")

    async def info(self) -> AgentInfoResponse:
        raise NotImplementedError


@dataclass
class FakeAgents:
    agents: dict[AgentId, FakeAgent] = field(default_factory=dict)
    acquire_errors: dict[AgentId, AgentError] = field(default_factory=dict)
    acquired: list[AgentId] = field(default_factory=list)

    def __getitem__(self, agent_id: str) -> FakeAgent:
        key = AgentId(agent_id)
        if key not in self.agents:
            self.agents[key] = FakeAgent(key)
        return self.agents[key]

    def fail(
        self,
        agent_id: str,
        error: AgentError,
        *,
        on_acquire: bool = False,
        method: str | None = None,
    ) -> None:
        """Every call to the agent raises `error` (or acquiring it, or calling `method`)."""
        if on_acquire:
            self.acquire_errors[AgentId(agent_id)] = error
        elif method is not None:
            self[agent_id].method_errors[method] = error
        else:
            self[agent_id].error = error

    def all_calls(self, method: str) -> list[tuple[AgentId, Any]]:
        return [
            (agent.agent_id, argument)
            for agent in self.agents.values()
            for argument in agent.calls_of(method)
        ]

    @asynccontextmanager
    async def acquire(self, agent_id: AgentId) -> AsyncIterator[FakeAgent]:
        self.acquired.append(agent_id)
        if agent_id in self.acquire_errors:
            raise self.acquire_errors[agent_id]
        yield self[agent_id]
