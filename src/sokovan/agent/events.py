"""Kernel and image events as the agent produces them.

Producers hand events to an `EventSink` and never wait: the daemon's sink (`EventSender`)
batches them to the manager in the background; an embedding program (a benchmark running
many simulated agents) can pass any sink of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sokovan.agent.protocol import KernelEvent, KernelEventKind
from sokovan.agent.registry import KernelRecord
from sokovan.common.clock import Clock


class EventSink(Protocol):
    def emit(self, event: KernelEvent) -> None:
        """Accept the event for delivery; must not block and must not raise."""
        ...


@dataclass(frozen=True, slots=True)
class AgentIdentity:
    """Who the agent is, as its heartbeats and events say."""

    agent_id: str
    #: Fresh per process start (uuid4): tells the manager that the agent restarted.
    instance_id: str
    scaling_group: str
    architecture: str
    available_slots: dict[str, str]
    runtime: str
    version: str


class EventEmitter:
    """Stamps events with the agent's identity and the time, and passes them to the sink."""

    def __init__(self, identity: AgentIdentity, sink: EventSink, clock: Clock) -> None:
        self._identity = identity
        self._sink = sink
        self._clock = clock

    def image(self, kind: KernelEventKind, image: str, reason: str | None = None) -> None:
        self._emit(kind, image=image, reason=reason)

    def kernel(
        self,
        kind: KernelEventKind,
        record: KernelRecord,
        *,
        reason: str | None = None,
        exit_code: int | None = None,
    ) -> None:
        self._emit(
            kind,
            kernel_id=record.kernel_id,
            session_id=record.session_id,
            image=record.image,
            container_id=record.container_id,
            reason=reason,
            exit_code=exit_code,
        )

    def _emit(self, kind: KernelEventKind, **fields: object) -> None:
        event = KernelEvent.model_validate(
            {
                "kind": kind,
                "agent_id": self._identity.agent_id,
                "instance_id": self._identity.instance_id,
                "occurred_at": self._clock.now(),
                **fields,
            }
        )
        self._sink.emit(event)
