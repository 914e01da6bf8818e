"""Recording how a session ended (its `result`), written when it is about to terminate."""

from __future__ import annotations

from sokovan.common.ids import SessionId
from sokovan.common.status import SessionResult
from sokovan.db import tables as t
from sokovan.repositories.base import RepositoryBase


class SessionResultMixin(RepositoryBase):
    async def record_session_result(
        self, session_id: SessionId, result: SessionResult, status_info: str | None
    ) -> bool:
        """Set the session's result (and status_info when given); False for an unknown id."""
        values: dict[str, object] = {"result": result}
        if status_info is not None:
            values["status_info"] = status_info
        async with self._engine.begin() as conn:
            updated = await conn.execute(
                t.sessions.update().where(t.sessions.c.id == session_id).values(**values)
            )
        return updated.rowcount == 1
