"""What the manager does with an agent's heartbeats and kernel events.

Heartbeat: the agent registry records it (`AgentRepository.handle_heartbeat`), and the
kernels the agent reports alive are marked present in the hint store, which is what the
stale-kernel check reads first. A new or returning agent brings capacity, so placement is
hinted. Events: converted to the scheduler's `AgentKernelEvent` and applied by the kernel
state engine against the agents' current incarnations.

Wire values are checked here, at the edge: a malformed id, amount or timestamp raises
InvalidInputError before anything is written.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Final, Protocol

from sokovan.agent.protocol import AgentHeartbeatMessage, KernelEvent, KernelEventBatch
from sokovan.common.errors import InvalidInputError
from sokovan.common.ids import AgentId, KernelId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import ScheduleType
from sokovan.repositories.agent.types import AgentHeartbeat, HeartbeatOutcome
from sokovan.scheduler.kernel.events import AgentKernelEvent, EventApplication

log = logging.getLogger(__name__)

#: Outcomes that add capacity the scheduler has not seen yet.
_NEW_CAPACITY: Final = frozenset({HeartbeatOutcome.REGISTERED, HeartbeatOutcome.REVIVED})


class GatewayAgentRepository(Protocol):
    """The `AgentRepository` methods the gateway uses."""

    async def handle_heartbeat(self, heartbeat: AgentHeartbeat) -> HeartbeatOutcome: ...

    async def get_instance_ids(self, agent_ids: Collection[AgentId]) -> dict[AgentId, str]: ...


class GatewayHintStore(Protocol):
    """The hint-store methods the gateway uses."""

    async def update_kernel_presence(self, kernel_ids: Sequence[KernelId]) -> None: ...

    async def mark_schedule_needed(self, schedule_type: ScheduleType) -> None: ...


class KernelEventApplier(Protocol):
    """`KernelStateEngine.apply_events`."""

    async def apply_events(
        self, events: Sequence[AgentKernelEvent], incarnations: Mapping[AgentId, str]
    ) -> EventApplication: ...


class AgentGatewayService:
    def __init__(
        self,
        agents: GatewayAgentRepository,
        hints: GatewayHintStore,
        kernel_events: KernelEventApplier,
    ) -> None:
        self._agents = agents
        self._hints = hints
        self._kernel_events = kernel_events

    async def heartbeat(self, message: AgentHeartbeatMessage) -> HeartbeatOutcome:
        """Record the heartbeat, then the presence of the kernels it reports.

        Raises InvalidInputError for malformed values and NotFoundError for an unknown
        scaling group; nothing is written then. Hints are best effort.
        """
        heartbeat = heartbeat_from_message(message)
        running = [_kernel_id(raw) for raw in message.running_kernel_ids]
        outcome = await self._agents.handle_heartbeat(heartbeat)
        try:
            if running:
                await self._hints.update_kernel_presence(running)
            if outcome in _NEW_CAPACITY:
                await self._hints.mark_schedule_needed(ScheduleType.SCHEDULE)
        except Exception:
            log.warning(
                "hints of agent %s's heartbeat were lost", heartbeat.agent_id, exc_info=True
            )
        return outcome

    async def apply_events(self, batch: KernelEventBatch) -> EventApplication:
        """Apply the events as reported by the agents' current incarnations.

        Raises InvalidInputError, applying nothing, when any event is malformed.
        """
        events = [event_from_wire(event) for event in batch.events]
        incarnations = await self._incarnations(event.agent_id for event in events)
        return await self._kernel_events.apply_events(events, incarnations)

    async def _incarnations(self, agent_ids: Iterable[AgentId]) -> dict[AgentId, str]:
        """The current instance id of each known agent (one query); unknown ones are absent."""
        wanted = set(agent_ids)
        found = await self._agents.get_instance_ids(wanted)
        for agent_id in sorted(wanted - found.keys()):
            log.info("events of unregistered agent %s are ignored", agent_id)
        return found


def heartbeat_from_message(message: AgentHeartbeatMessage) -> AgentHeartbeat:
    """The registry's heartbeat value; InvalidInputError for malformed slot amounts or ids."""
    return AgentHeartbeat(
        agent_id=AgentId(message.agent_id),
        instance_id=message.instance_id,
        scaling_group=message.scaling_group,
        architecture=message.architecture,
        available_slots=ResourceSlot(message.available_slots),
        addr=message.addr,
        watcher_addr=message.watcher_addr,
        version=message.version,
    )


def event_from_wire(event: KernelEvent) -> AgentKernelEvent:
    """The scheduler's view of one event; InvalidInputError for malformed values."""
    if event.occurred_at.utcoffset() is None:
        raise InvalidInputError(f"{event.kind} event of agent {event.agent_id!r} has no timezone")
    return AgentKernelEvent(
        kind=event.kind,
        agent_id=AgentId(event.agent_id),
        instance_id=event.instance_id,
        occurred_at=event.occurred_at,
        kernel_id=_kernel_id(event.kernel_id) if event.kernel_id is not None else None,
        session_id=SessionId(_uuid(event.session_id)) if event.session_id is not None else None,
        image=event.image,
        exit_code=event.exit_code,
        reason=event.reason,
        container_id=event.container_id,
    )


def _kernel_id(raw: str) -> KernelId:
    return KernelId(_uuid(raw))


def _uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise InvalidInputError(f"{raw!r} is not a valid id (a UUID is expected)") from None
