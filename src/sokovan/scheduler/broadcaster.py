"""Telling the world that sessions changed status: one event per session, one batch per call."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sokovan.common.status import SessionStatus
from sokovan.infra.events.base import EventProducer, SchedulingBroadcastEvent
from sokovan.scheduler.results import SessionTransitionInfo

log = logging.getLogger(__name__)


class TransitionBroadcaster:
    """Publishes a `SchedulingBroadcastEvent` per transitioned session.

    Runs after the transition is committed, so an event never announces a change that did
    not happen. Publishing is best effort: the database already holds the truth, so a
    failing producer is logged and does not undo or stop the rest of the cycle.
    """

    def __init__(self, producer: EventProducer) -> None:
        self._producer = producer

    async def broadcast(
        self, sessions: Sequence[SessionTransitionInfo], to_status: SessionStatus
    ) -> None:
        if not sessions:
            return
        events = [
            SchedulingBroadcastEvent(
                session_id=info.session_id,
                creation_id=info.creation_id,
                status_transition=to_status.value,
                reason=info.reason,
            )
            for info in sessions
        ]
        try:
            await self._producer.broadcast_events_batch(events)
        except Exception:
            log.exception("could not broadcast %d %s event(s)", len(events), to_status)
