"""The system under test of `session_latency.py`: a manager with simulated agents in-process.

The manager is wired by `build_manager` on a throwaway SQLite database with the in-process
hint store, event bus and locks. Simulated agents (zero pull and create time) run in this
process as `AgentService` objects: the manager's agent client pool reaches each one's ASGI
app through an httpx transport that routes by host, and their kernel events go to an
`AgentGatewayService` in batches, as the agent's event sender would post them. Heartbeats go
to the same gateway service every `HEARTBEAT_INTERVAL` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sokovan.agent.config import AgentConfig, RuntimeKind, detect_architecture
from sokovan.agent.protocol import KernelEvent, KernelEventBatch
from sokovan.agent.server import create_app
from sokovan.agent.service import AgentService, build_agent_service
from sokovan.agent_gateway import AgentGatewayService
from sokovan.common.collector import settle_for_serving
from sokovan.common.ids import AccessKey, GroupId, UserId
from sokovan.common.scheduling import AgentSelectionStrategy, SequencerStrategy, UserRole
from sokovan.config import ManagerConfig
from sokovan.db.engine import create_engine
from sokovan.db.migrate import upgrade
from sokovan.infra.events.memory import EventSubscription, InMemoryEventBus
from sokovan.manager.wiring import build_manager
from sokovan.repositories.tenancy import TenancyRepository
from sokovan.scheduler.orchestrator import SokovanOrchestrator
from sokovan.scheduler.service import SchedulerService
from sokovan.scheduling_controller.types import KernelCreationSpec, SessionCreationSpec

TOKEN = "bench-agent-token"
IMAGE = "python"
ACCESS_KEY = AccessKey("AKBENCHMARK0000000000")
#: The reference system's tick: every step waits for the next 2 s poll.
BASELINE_TICK = 2.0
HEARTBEAT_INTERVAL = 2.0
#: The gateway accepts at most this many events per batch (KernelEventBatch).
EVENT_BATCH = 1024
#: Events the RUNNING watch can hold unread (far more than a run broadcasts).
WATCH_QUEUE = 1_000_000


class HostRouter(httpx.AsyncBaseTransport):
    """Sends each request to the ASGI app registered for its host."""

    def __init__(self) -> None:
        self._apps: dict[str, httpx.ASGITransport] = {}

    def add(self, host: str, service: AgentService) -> None:
        self._apps[host] = httpx.ASGITransport(app=create_app(service, TOKEN))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._apps[request.url.host].handle_async_request(request)


class GatewaySink:
    """The agents' EventSink: queues events, one task posts them to the gateway in batches."""

    def __init__(self, gateway: AgentGatewayService) -> None:
        self._gateway = gateway
        self._queue: list[KernelEvent] = []
        self._ready = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="bench-event-sink")

    def emit(self, event: KernelEvent) -> None:
        self._queue.append(event)
        self._ready.set()

    async def _run(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            pending, self._queue = self._queue, []
            for start in range(0, len(pending), EVENT_BATCH):
                chunk = pending[start : start + EVENT_BATCH]
                await self._gateway.apply_events(KernelEventBatch(events=chunk))

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class MarksIgnored:
    """A hint store view for the baseline: the short loops never see a mark."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    # The hint store's signature, hence `timeout`.
    async def wait_for_schedule_mark(
        self,
        schedule_type: Any,
        timeout: float,  # noqa: ASYNC109
    ) -> bool:
        await asyncio.sleep(timeout)
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class RunningWatch:
    """Records when each session's RUNNING event is consumed from the event bus."""

    def __init__(self, subscription: EventSubscription) -> None:
        self._subscription = subscription
        self.running_at: dict[Any, float] = {}
        self._waiters: dict[Any, asyncio.Future[None]] = {}
        self._task = asyncio.create_task(self._run(), name="bench-running-watch")

    async def _run(self) -> None:
        async for event in self._subscription:
            if event.status_transition != "RUNNING":
                continue
            self.running_at[event.session_id] = time.perf_counter()
            waiter = self._waiters.pop(event.session_id, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    async def wait(self, session_id: Any, limit: float) -> None:
        """Return once `session_id` is RUNNING; TimeoutError after `limit` seconds."""
        if session_id in self.running_at:
            return
        waiter = self._waiters.setdefault(session_id, asyncio.get_running_loop().create_future())
        async with asyncio.timeout(limit):
            await waiter

    async def close(self) -> int:
        self._subscription.close()
        await self._task
        return self._subscription.dropped


@dataclass(frozen=True, slots=True)
class Owner:
    user_id: UserId
    group_id: GroupId


async def seed(engine: Any) -> Owner:
    """The tenant, scaling group and image the sessions need (as `sokovan up` creates them)."""
    repo = TenancyRepository(engine)
    await repo.ensure_resource_policy("default")
    await repo.ensure_domain("default", resource_policy="default")
    group_id = await repo.ensure_group("default", "default")
    await repo.ensure_scaling_group(
        "default", SequencerStrategy.FIFO, AgentSelectionStrategy.DISPERSED
    )
    user_id = await repo.create_user(
        "bench@sokovan.local", "bench", "default", UserRole.USER, group_id
    )
    await repo.create_keypair(
        user_id, UserRole.USER, ACCESS_KEY, "unused-hash", resource_policy="default"
    )
    await repo.ensure_image(IMAGE, detect_architecture(), {"command": ["python3"]})
    return Owner(user_id, group_id)


def session_spec(owner: Owner, name: str) -> SessionCreationSpec:
    return SessionCreationSpec(
        name=name,
        access_key=ACCESS_KEY,
        user_id=owner.user_id,
        group_id=owner.group_id,
        domain_name="default",
        scaling_group="default",
        kernels=(
            KernelCreationSpec(
                IMAGE, {"cpu": "1", "mem": "1g"}, architecture=detect_architecture()
            ),
        ),
    )


@dataclass(frozen=True, slots=True)
class Stack:
    """One manager with its agents; `submit` enqueues a session and returns its id."""

    submit: Callable[[str], Any]
    watch: RunningWatch


def agent_config(index: int, data_dir: Path) -> AgentConfig:
    return AgentConfig(
        agent_id=f"sim-{index}",
        token=TOKEN,
        runtime=RuntimeKind.SIMULATED,
        data_dir=data_dir / f"sim-{index}",
        capacity_slots={"cpu": "1000000", "mem": str(1 << 50)},
        heartbeat_interval=HEARTBEAT_INTERVAL,
    )


async def heartbeats(gateway: AgentGatewayService, agents: list[AgentService]) -> None:
    while True:
        for agent in agents:
            await gateway.heartbeat(agent.heartbeat(f"http://{agent.identity.agent_id}", None))
        await asyncio.sleep(HEARTBEAT_INTERVAL)


@contextlib.asynccontextmanager
async def running_stack(hinted: bool, agent_count: int) -> AsyncIterator[Stack]:
    """A migrated database, the manager, `agent_count` registered agents, loops started."""
    with tempfile.TemporaryDirectory(prefix="sokovan-bench-") as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'sokovan.db'}")
        await upgrade(engine)
        owner = await seed(engine)
        router = HostRouter()
        manager = build_manager(ManagerConfig(), engine, agent_token=TOKEN, agent_transport=router)
        scheduler = manager.scheduler
        gateway = AgentGatewayService(
            manager.agent_repository, scheduler.valkey_schedule, scheduler.kernel_state_engine
        )
        sink = GatewaySink(gateway)
        agents = [build_agent_service(agent_config(i, Path(tmp)), sink) for i in range(agent_count)]
        for agent in agents:
            await agent.start()
            router.add(agent.identity.agent_id, agent)
        beating = asyncio.create_task(heartbeats(gateway, agents))
        bus = scheduler.event_bus
        assert isinstance(bus, InMemoryEventBus)
        # Every status event of every session fits: the watch must not drop any RUNNING.
        watch = RunningWatch(bus.subscribe(queue_size=WATCH_QUEUE))
        service = SchedulerService(scheduler)
        orchestrator = SokovanOrchestrator(
            scheduler.coordinator,
            MarksIgnored(scheduler.valkey_schedule),
            short_interval=BASELINE_TICK,
            long_interval=BASELINE_TICK,
        )
        settle_for_serving()  # as `sokovan manager` and `sokovan up` do before serving
        if hinted:
            await service.start()
        else:
            orchestrator.start()

        async def submit(name: str) -> Any:
            return await scheduler.controller.enqueue_session(session_spec(owner, name))

        try:
            yield Stack(submit, watch)
        finally:
            await orchestrator.stop()
            await service.stop()
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
            for agent in agents:
                await agent.close()
            await sink.close()
            await watch.close()
            await manager.agent_clients.aclose()
            await engine.dispose()
