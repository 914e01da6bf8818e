"""Priority buckets: a cycle only considers the sessions of the highest pending priority.

Lower-priority sessions wait even when capacity would be left over for them; otherwise a
stream of small low-priority sessions could keep a large high-priority one from ever fitting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sokovan.repositories.scheduler.snapshot_types import PendingSession


@dataclass(frozen=True, slots=True)
class DeferredSession:
    """A session left out of this cycle, and why (shown to its owner as is)."""

    session: PendingSession
    reason: str


@dataclass(frozen=True, slots=True)
class PriorityBucket:
    """The sessions to sequence this cycle and the ones deferred to a later cycle."""

    #: The highest priority among the pending sessions; None when there are none.
    priority: int | None
    #: Sessions of that priority, in their input order.
    sessions: tuple[PendingSession, ...]
    #: Every other session, in their input order.
    deferred: tuple[DeferredSession, ...]


def highest_priority_bucket(sessions: Sequence[PendingSession]) -> PriorityBucket:
    """Split `sessions` into the highest-priority bucket and the deferred rest."""
    if not sessions:
        return PriorityBucket(priority=None, sessions=(), deferred=())
    top = max(session.priority for session in sessions)
    bucket = tuple(session for session in sessions if session.priority == top)
    noun = "session" if len(bucket) == 1 else "sessions"
    reason = f"waiting for {len(bucket)} {noun} of higher priority ({top})"
    deferred = tuple(
        DeferredSession(session=session, reason=reason)
        for session in sessions
        if session.priority != top
    )
    return PriorityBucket(priority=top, sessions=bucket, deferred=deferred)
