"""Submission order and a cursor over an order fixed up front (shared by FIFO and LIFO)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sokovan.common.ids import SessionId
from sokovan.repositories.scheduler.snapshot_types import PendingSession


def submission_key(session: PendingSession) -> tuple[datetime, SessionId]:
    """Sort key of submission order; the session id breaks ties between equal timestamps."""
    return (session.created_at, session.session_id)


class FixedOrderCursor:
    """Yields sessions in the given order; outcomes do not change what comes next."""

    __slots__ = ("_remaining",)

    def __init__(self, ordered: Iterable[PendingSession]) -> None:
        # Reversed so that `pop()` from the end yields the first session in O(1).
        self._remaining = list(ordered)[::-1]

    def next(self) -> PendingSession | None:
        return self._remaining.pop() if self._remaining else None

    def placed(self, session: PendingSession) -> None:
        """Nothing to do: a fixed order ignores outcomes."""

    def rejected(self, session: PendingSession) -> None:
        """Nothing to do: a fixed order ignores outcomes."""
