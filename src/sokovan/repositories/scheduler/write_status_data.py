"""Recording why launching a session failed, in the session's `status_data`.

The launcher does not decide what a failed image pull or kernel creation means for a session
(the coordinator's timeouts and retries do); it only leaves the reason where users and
operators look. The record replaces the `error` key of `status_data` and keeps every other
key; the session's status, status_info and status_changed are never touched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sokovan.common.ids import AgentId, SessionId
from sokovan.db import tables as t
from sokovan.repositories.base import RepositoryBase
from sokovan.repositories.scheduler.write_bulk import bulk_update, id_filters
from sokovan.repositories.scheduler.write_rows import for_update

#: The `status_data` key the launch errors are kept under.
ERROR_KEY = "error"


@dataclass(frozen=True, slots=True)
class SessionErrorDetail:
    """One failure: which agent (None when no agent was involved), what kind, what it said."""

    agent_id: AgentId | None
    name: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"agent_id": self.agent_id, "name": self.name, "message": self.message}


@dataclass(frozen=True, slots=True)
class SessionErrorReport:
    """The failures one phase ("check-precondition", "start-sessions") met for one session."""

    session_id: SessionId
    phase: str
    errors: tuple[SessionErrorDetail, ...]


class SessionStatusDataMixin(RepositoryBase):
    async def record_session_errors(self, reports: Sequence[SessionErrorReport]) -> int:
        """Write each report under `status_data["error"]` of its session, in one transaction.

        The value is `{"phase", "recorded_at", "errors": [{"agent_id", "name", "message"}]}`;
        reports of one session are merged (the last one's phase wins, errors keep their
        order). Unknown sessions are skipped. Returns the number of sessions written.
        """
        merged: dict[SessionId, list[SessionErrorReport]] = defaultdict(list)
        for report in reports:
            merged[report.session_id].append(report)
        if not merged:
            return 0
        recorded_at = self._clock.now().isoformat()
        sessions = t.sessions.c
        async with self._engine.begin() as conn:
            current: dict[SessionId, Any] = {}
            for matching in id_filters(conn, sessions.id, merged.keys()):
                query = sa.select(sessions.id, sessions.status_data).where(matching)
                for row in await conn.execute(for_update(conn, query.order_by(sessions.id))):
                    current[SessionId(row.id)] = row.status_data
            rows = [
                {
                    "id": session_id,
                    "status_data": _with_error(data, merged[session_id], recorded_at),
                }
                for session_id, data in current.items()
            ]
            await bulk_update(conn, t.sessions, ["status_data"], rows)
        return len(rows)


def _with_error(
    status_data: Any, reports: Sequence[SessionErrorReport], recorded_at: str
) -> dict[str, Any]:
    """`status_data` (None or a JSON object) with its error entry replaced by `reports`."""
    kept = dict(status_data) if isinstance(status_data, dict) else {}
    kept[ERROR_KEY] = {
        "phase": reports[-1].phase,
        "recorded_at": recorded_at,
        "errors": [detail.to_json() for report in reports for detail in report.errors],
    }
    return kept
