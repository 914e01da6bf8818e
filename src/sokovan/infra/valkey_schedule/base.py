"""The hint-store port (named after the Redis/Valkey client the seeds describe).

Hints make the scheduler fast; they are never the source of truth. Losing any of them only
delays work until the next long-loop cycle re-derives state from the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sokovan.common.ids import KernelId, SessionId
from sokovan.common.scheduling import ScheduleType
from sokovan.common.status import HealthCheckStatus


@dataclass(frozen=True, slots=True)
class HealthStatus:
    status: HealthCheckStatus
    last_check: datetime | None = None
    detail: str | None = None


class KernelPresence(StrEnum):
    ALIVE = "ALIVE"  #: the agent reported the kernel recently
    STALE = "STALE"  #: the last report is older than the presence lifetime


class ValkeyScheduleClient(Protocol):
    # --- schedule marks: "there is work for ScheduleType X" -----------------------------
    async def mark_schedule_needed(self, schedule_type: ScheduleType) -> None:
        """Set the mark and wake whoever waits for it."""
        ...

    async def load_and_delete_schedule_mark(self, schedule_type: ScheduleType) -> bool:
        """Consume the mark; True if it was set."""
        ...

    # The bound is part of the port: a Redis backend passes it to a blocking read, which an
    # asyncio.timeout() around the call could not do.
    async def wait_for_schedule_mark(
        self,
        schedule_type: ScheduleType,
        timeout: float,  # noqa: ASYNC109
    ) -> bool:
        """Wait up to `timeout` seconds for the mark, consume it, and say whether it came."""
        ...

    # --- pending queues: the provisioner's view of who waits, in order ------------------
    async def set_pending_queue(
        self, scaling_group: str, session_ids: Sequence[SessionId]
    ) -> None: ...

    async def get_pending_queue(self, scaling_group: str) -> list[SessionId]: ...

    # --- route health -------------------------------------------------------------------
    async def update_route_health_status(self, statuses: Mapping[str, HealthStatus]) -> None: ...

    async def check_route_health_status(
        self, route_ids: Sequence[str]
    ) -> Mapping[str, HealthStatus]:
        """Health per route id; routes without data are absent from the result."""
        ...

    # --- kernel presence ----------------------------------------------------------------
    async def update_kernel_presence(self, kernel_ids: Sequence[KernelId]) -> None:
        """Record that the agents reported these kernels alive just now."""
        ...

    async def check_kernel_presence(
        self, kernel_ids: Sequence[KernelId]
    ) -> Mapping[KernelId, KernelPresence]:
        """Presence per kernel; kernels never reported are absent from the result."""
        ...
