"""The event port."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sokovan.common.ids import SessionId


@dataclass(frozen=True, slots=True)
class SchedulingBroadcastEvent:
    """A session changed status in the scheduler."""

    session_id: SessionId
    creation_id: str | None
    #: The status the session moved to, e.g. "RUNNING".
    status_transition: str
    reason: str | None = None


BroadcastEvent = SchedulingBroadcastEvent


class EventProducer(Protocol):
    async def broadcast_event(self, event: BroadcastEvent) -> None: ...

    async def broadcast_events_batch(self, events: Sequence[BroadcastEvent]) -> None:
        """Publish events in order; an empty batch is a no-op."""
        ...
