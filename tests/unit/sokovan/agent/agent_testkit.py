"""Builders and waiting helpers shared by the agent unit tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sokovan.agent.events import AgentIdentity
from sokovan.agent.ports import PortPool
from sokovan.agent.protocol import (
    ClusterInfo,
    CreateKernelsRequest,
    ImageSpec,
    KernelCreationConfig,
    KernelEvent,
    KernelEventKind,
)
from sokovan.agent.registry import KernelRegistry
from sokovan.agent.runtime import KernelRuntime
from sokovan.agent.service import AgentService
from sokovan.common.clock import ManualClock

ARCH = "x86_64"
TOKEN = "test-token"


async def wait_until(condition: Callable[[], object], what: str, within: float = 5.0) -> None:
    """Poll `condition` until it is truthy; fail the test after `within` seconds."""
    try:
        async with asyncio.timeout(within):
            # Polling on purpose: the conditions are about processes and files, not events.
            while not condition():  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"timed out after {within}s waiting for {what}") from None


class RecordingSink:
    """An EventSink that keeps every event."""

    def __init__(self) -> None:
        self.events: list[KernelEvent] = []

    def emit(self, event: KernelEvent) -> None:
        self.events.append(event)

    def kinds(self, kernel_id: str | None = None) -> list[KernelEventKind]:
        return [e.kind for e in self.events if kernel_id is None or e.kernel_id == kernel_id]

    def of_kind(self, kind: KernelEventKind) -> list[KernelEvent]:
        return [e for e in self.events if e.kind is kind]

    async def wait_for(self, kind: KernelEventKind, kernel_id: str | None = None) -> KernelEvent:
        def found() -> KernelEvent | None:
            return next(
                (
                    e
                    for e in self.events
                    if e.kind is kind and (kernel_id is None or e.kernel_id == kernel_id)
                ),
                None,
            )

        await wait_until(found, f"{kind} of {kernel_id or 'any kernel'}")
        event = found()
        assert event is not None
        return event


def image(name: str = "sim", **environment: object) -> ImageSpec:
    return ImageSpec(name=name, architecture=ARCH, environment=environment)


def create_request(
    *kernel_ids: str,
    image_spec: ImageSpec | None = None,
    command: list[str] | None = None,
    slots: dict[str, str] | None = None,
    environ: dict[str, str] | None = None,
) -> CreateKernelsRequest:
    return CreateKernelsRequest(
        session_id="session-1",
        kernel_configs=[
            KernelCreationConfig(
                kernel_id=kernel_id,
                image=image_spec or image(),
                cluster_role="main",
                cluster_idx=index,
                cluster_hostname=f"main{index + 1}",
                resource_slots=slots or {"cpu": "1"},
                environ=environ or {},
                command=command,
            )
            for index, kernel_id in enumerate(kernel_ids)
        ],
        cluster_info=ClusterInfo(mode="single-node", size=len(kernel_ids)),
    )


def make_service(
    runtime: KernelRuntime,
    sink: RecordingSink,
    registry: KernelRegistry | None = None,
    *,
    grace: float = 1.0,
    instance_id: str = "instance-1",
    ports: PortPool | None = None,
) -> AgentService:
    identity = AgentIdentity(
        agent_id="agent-1",
        instance_id=instance_id,
        scaling_group="default",
        architecture=ARCH,
        available_slots={"cpu": "4", "mem": "8589934592"},
        runtime=runtime.kind,
        version="test",
    )
    return AgentService(
        identity=identity,
        runtime=runtime,
        registry=registry or KernelRegistry(),
        sink=sink,
        ports=ports or PortPool(41000, 41099, host="127.0.0.1"),
        clock=ManualClock(),
        destroy_grace=grace,
        log_read_limit=1024,
    )
