"""The agent's RPC surface as plain methods, independent of HTTP.

`server.py` maps HTTP requests onto these methods; a benchmark may call them directly, with
no socket at all, to run many agents in one process. Unknown kernels get ordinary answers
(`known: false`, `running: null`), never errors.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sokovan import __version__
from sokovan.agent.config import AgentConfig, RuntimeKind
from sokovan.agent.events import AgentIdentity, EventEmitter, EventSink
from sokovan.agent.kernels import KernelSupervisor
from sokovan.agent.launch import kernel_launches
from sokovan.agent.ports import PortPool
from sokovan.agent.protocol import (
    AgentHeartbeatMessage,
    AgentInfoResponse,
    AssignPortResponse,
    CheckAndPullRequest,
    CheckAndPullResponse,
    CheckRunningRequest,
    CheckRunningResponse,
    CreateKernelsBatchRequest,
    CreateKernelsBatchResponse,
    CreateKernelsRequest,
    CreateKernelsResponse,
    CreateLocalNetworkRequest,
    CreateLocalNetworkResponse,
    DestroyKernelRequest,
    DestroyKernelResponse,
    ImageSpec,
    KernelLogsRequest,
    KernelLogsResponse,
)
from sokovan.agent.pulls import ImagePuller
from sokovan.agent.registry import KernelRegistry
from sokovan.agent.runtime import KernelRuntime, build_runtime
from sokovan.common.clock import Clock, SystemClock

REGISTRY_FILE = "registry.json"


class AgentService:
    def __init__(
        self,
        *,
        identity: AgentIdentity,
        runtime: KernelRuntime,
        registry: KernelRegistry,
        sink: EventSink,
        ports: PortPool,
        clock: Clock,
        destroy_grace: float,
        log_read_limit: int,
        preloaded_images: Sequence[ImageSpec] = (),
    ) -> None:
        self.identity = identity
        self._preloaded_images = list(preloaded_images)
        self._runtime = runtime
        self._registry = registry
        self._ports = ports
        self._log_read_limit = log_read_limit
        emitter = EventEmitter(identity, sink, clock)
        self._puller = ImagePuller(runtime, identity.architecture, emitter)
        self._kernels = KernelSupervisor(
            runtime=runtime,
            registry=registry,
            puller=self._puller,
            emitter=emitter,
            clock=clock,
            destroy_grace=destroy_grace,
        )

    async def start(self) -> None:
        """Re-adopt the kernels of a previous instance; begin preparing the preloaded images."""
        self._kernels.restore()
        self._puller.check_and_pull(self._preloaded_images)

    async def close(self) -> None:
        """Stop background work; kernels keep running (see `KernelSupervisor.shutdown`)."""
        await self._kernels.shutdown()
        await self._puller.close()

    # --- RPC ------------------------------------------------------------------------------

    async def check_and_pull(self, request: CheckAndPullRequest) -> CheckAndPullResponse:
        return CheckAndPullResponse(results=self._puller.check_and_pull(request.images))

    async def create_kernels(self, request: CreateKernelsRequest) -> CreateKernelsResponse:
        return CreateKernelsResponse(accepted=self._kernels.create(kernel_launches(request)))

    async def create_kernels_batch(
        self, request: CreateKernelsBatchRequest
    ) -> CreateKernelsBatchResponse:
        return CreateKernelsBatchResponse(
            results=[await self.create_kernels(entry) for entry in request.requests]
        )

    async def destroy_kernel(self, request: DestroyKernelRequest) -> DestroyKernelResponse:
        known = await self._kernels.destroy(
            request.kernel_id, request.reason, request.suppress_events
        )
        return DestroyKernelResponse(known=known)

    async def check_running(self, request: CheckRunningRequest) -> CheckRunningResponse:
        return CheckRunningResponse(running=self._kernels.check_running(request.kernel_id))

    async def create_local_network(
        self, request: CreateLocalNetworkRequest
    ) -> CreateLocalNetworkResponse:
        """Only recorded: process kernels share the host's network, so there is nothing to
        create; the name is kept so the call is idempotent and visible in `info`."""
        return CreateLocalNetworkResponse(
            name=request.name, created=self._registry.add_network(request.name)
        )

    async def assign_port(self) -> AssignPortResponse:
        return AssignPortResponse(port=self._ports.assign_port())

    async def kernel_logs(self, request: KernelLogsRequest) -> KernelLogsResponse:
        record = self._registry.get(request.kernel_id)
        if record is None:
            return KernelLogsResponse(
                kernel_id=request.kernel_id, stdout="", stderr="", known=False
            )
        limit = min(request.max_bytes or self._log_read_limit, self._log_read_limit)
        logs = self._runtime.read_logs(record, limit)
        return KernelLogsResponse(
            kernel_id=request.kernel_id, stdout=logs.stdout, stderr=logs.stderr
        )

    async def info(self) -> AgentInfoResponse:
        return AgentInfoResponse(
            agent_id=self.identity.agent_id,
            instance_id=self.identity.instance_id,
            scaling_group=self.identity.scaling_group,
            architecture=self.identity.architecture,
            runtime=self.identity.runtime,
            version=self.identity.version,
            available_slots=self.identity.available_slots,
            images=self._puller.ready_images(),
            running_kernel_ids=self.alive_kernel_ids(),
            networks=self._registry.networks(),
        )

    # --- reports to the manager -----------------------------------------------------------

    def alive_kernel_ids(self) -> list[str]:
        return [record.kernel_id for record in self._registry.alive()]

    def heartbeat(self, addr: str, watcher_addr: str | None) -> AgentHeartbeatMessage:
        return AgentHeartbeatMessage(
            agent_id=self.identity.agent_id,
            instance_id=self.identity.instance_id,
            scaling_group=self.identity.scaling_group,
            architecture=self.identity.architecture,
            available_slots=self.identity.available_slots,
            images=self._puller.ready_images(),
            addr=addr,
            watcher_addr=watcher_addr,
            version=self.identity.version,
            running_kernel_ids=self.alive_kernel_ids(),
        )


def build_agent_service(
    config: AgentConfig, sink: EventSink, clock: Clock | None = None
) -> AgentService:
    """An agent with a fresh instance id, its registry loaded (persisted for the process
    runtime; in memory for the simulated one, whose kernels cannot outlive it)."""
    runtime = build_runtime(config)
    registry_path = (
        None
        if config.runtime is RuntimeKind.SIMULATED
        else config.resolved_data_dir() / REGISTRY_FILE
    )
    identity = AgentIdentity(
        agent_id=config.agent_id,
        instance_id=str(uuid.uuid4()),
        scaling_group=config.scaling_group,
        architecture=config.architecture,
        available_slots=dict(config.capacity_slots),
        runtime=runtime.kind,
        version=__version__,
    )
    return AgentService(
        identity=identity,
        runtime=runtime,
        registry=KernelRegistry.load(registry_path, config.terminated_retention),
        sink=sink,
        ports=PortPool(*config.port_range),
        clock=clock or SystemClock(),
        destroy_grace=config.destroy_grace_seconds,
        log_read_limit=config.log_read_limit,
        preloaded_images=[
            ImageSpec(name=name, architecture=config.architecture) for name in config.images
        ],
    )
