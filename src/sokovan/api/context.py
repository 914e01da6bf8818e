"""What the API is built from: repositories, the controller, the hint store, a clock, settings.

The manager wiring fills an `ApiContext` once and passes it to `create_app`; the API holds no
global state of its own. Optional ports (`kernel_logs`) are left None until a backend exists;
the endpoints that need them then answer 501 with an explanation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.api.metrics import SchedulingMetrics
from sokovan.common.clock import Clock, SystemClock
from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.resource_slot import DEFAULT_SLOT_TYPES, SlotTypes
from sokovan.infra.valkey_schedule.base import ValkeyScheduleClient
from sokovan.repositories.agent import AgentRepository
from sokovan.repositories.api import ApiRepository
from sokovan.repositories.tenancy import TenancyRepository
from sokovan.scheduling_controller import SchedulingController

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class KernelLogTarget:
    """The kernel whose output is asked for, and where it runs."""

    session_id: SessionId
    kernel_id: KernelId
    agent_id: AgentId
    agent_addr: str | None
    container_id: str | None


class KernelLogs(Protocol):
    """Fetches a kernel's output from its agent (the agent client plugs in here)."""

    async def __call__(self, target: KernelLogTarget) -> str:
        """The kernel's console output so far; raises `AgentError` when the agent fails."""
        ...


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """Settings of the API layer; the defaults suit the embedded mode."""

    #: Slot names and units that resource requests are parsed against.
    slot_types: SlotTypes = DEFAULT_SLOT_TYPES
    #: Larger request bodies are refused with 413 before they are parsed.
    max_body_bytes: int = MIB
    #: Seconds a verified secret is trusted without running scrypt again.
    credential_cache_ttl: float = 60.0
    #: Verified credentials kept at most; the oldest are dropped first.
    credential_cache_size: int = 10_000
    #: Seconds between two status reads of a session being waited for.
    wait_poll_interval: float = 0.2
    #: Where sessions go when the request names no scaling group.
    default_scaling_group: str = "default"


@dataclass(frozen=True, slots=True)
class ApiContext:
    """Everything the API's endpoints use; built by the manager wiring (see `from_engine`)."""

    api_repository: ApiRepository
    agent_repository: AgentRepository
    tenancy_repository: TenancyRepository
    controller: SchedulingController
    hint_store: ValkeyScheduleClient
    clock: Clock = field(default_factory=SystemClock)
    config: ApiConfig = field(default_factory=ApiConfig)
    #: Counters the scheduler feeds and /metrics exposes.
    metrics: SchedulingMetrics = field(default_factory=SchedulingMetrics)
    kernel_logs: KernelLogs | None = None

    @classmethod
    def from_engine(
        cls,
        engine: AsyncEngine,
        controller: SchedulingController,
        hint_store: ValkeyScheduleClient,
        *,
        clock: Clock | None = None,
        config: ApiConfig | None = None,
        metrics: SchedulingMetrics | None = None,
        kernel_logs: KernelLogs | None = None,
    ) -> ApiContext:
        """A context whose repositories share `engine` and `clock`."""
        clock = clock or SystemClock()
        return cls(
            api_repository=ApiRepository(engine, clock),
            agent_repository=AgentRepository(engine, clock),
            tenancy_repository=TenancyRepository(engine, clock),
            controller=controller,
            hint_store=hint_store,
            clock=clock,
            config=config or ApiConfig(),
            metrics=metrics or SchedulingMetrics(),
            kernel_logs=kernel_logs,
        )
