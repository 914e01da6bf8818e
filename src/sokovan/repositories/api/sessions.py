"""Session reads of the API: filtered newest-first pages, one session in full, its status."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from sokovan.common.ids import SessionId, UserId
from sokovan.db import tables as t
from sokovan.repositories.api.types import (
    SessionCursor,
    SessionDetail,
    SessionListQuery,
    SessionPage,
)
from sokovan.repositories.base import RepositoryBase

# The scheduler's row mapper, so both repositories read history rows alike.
from sokovan.repositories.scheduler.history import history_record_from_row
from sokovan.repositories.scheduler.read_fetch import fetch_kernels_of
from sokovan.repositories.scheduler.read_rows import SESSION_INFO_COLUMNS, session_info_from_row
from sokovan.repositories.scheduler.types import SessionInfo

_S = t.sessions.c
_H = t.session_scheduling_history.c
#: A session's history merges repeated outcomes, so it stays short; this bounds a pathological
#: one (a session bouncing between phases for days) to its most recent rows.
HISTORY_ROWS_MAX = 200


class SessionApiReadsMixin(RepositoryBase):
    async def list_sessions(self, query: SessionListQuery) -> SessionPage:
        """One page of matching sessions, newest first (created_at, then id, descending).

        Reads one row beyond the page to tell whether another page follows.
        """
        statement = (
            sa.select(*SESSION_INFO_COLUMNS)
            .where(*_filters(query))
            .order_by(_S.created_at.desc(), _S.id.desc())
            .limit(query.limit + 1)
            .offset(query.offset)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        items = tuple(session_info_from_row(row) for row in rows[: query.limit])
        more = len(rows) > query.limit
        last = items[-1] if more and items else None
        cursor = None if last is None else SessionCursor(last.created_at, last.session_id)
        return SessionPage(items, cursor)

    async def get_session(self, session_id: SessionId) -> SessionInfo | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(sa.select(*SESSION_INFO_COLUMNS).where(_S.id == session_id))
            ).one_or_none()
        return None if row is None else session_info_from_row(row)

    async def get_session_owners(self, session_ids: Sequence[SessionId]) -> dict[SessionId, UserId]:
        """The owning user of each existing session among `session_ids`."""
        if not session_ids:
            return {}
        statement = sa.select(_S.id, _S.user_id).where(_S.id.in_(sorted(set(session_ids))))
        async with self._engine.connect() as conn:
            rows = await conn.execute(statement)
            return {SessionId(row.id): UserId(row.user_id) for row in rows}

    async def get_session_detail(self, session_id: SessionId) -> SessionDetail | None:
        """The session with its kernels (by cluster_idx) and history (oldest first); None if
        there is no such session. Three statements on one connection."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(sa.select(*SESSION_INFO_COLUMNS).where(_S.id == session_id))
            ).one_or_none()
            if row is None:
                return None
            kernels = await fetch_kernels_of(conn, [session_id])
            history = (
                await conn.execute(
                    sa.select(t.session_scheduling_history)
                    .where(_H.session_id == session_id)
                    .order_by(_H.created_at.desc(), _H.updated_at.desc(), _H.id.desc())
                    .limit(HISTORY_ROWS_MAX)
                )
            ).all()
        return SessionDetail(
            session=session_info_from_row(row),
            kernels=kernels.get(session_id, ()),
            history=tuple(history_record_from_row(entry) for entry in reversed(history)),
        )


def _filters(query: SessionListQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.statuses:
        where.append(_S.status.in_(sorted(query.statuses)))
    if query.scaling_group is not None:
        where.append(_S.scaling_group == query.scaling_group)
    if query.name is not None:
        where.append(_S.name == query.name)
    if query.user_id is not None:
        where.append(_S.user_id == query.user_id)
    if query.after is not None:
        where.append(_before(query.after))
    return where


def _before(cursor: SessionCursor) -> ColumnElement[bool]:
    """Strictly after `cursor` in newest-first order. Spelt out rather than as a row-value
    comparison, which SQLite and PostgreSQL do not both plan well."""
    return sa.or_(
        _S.created_at < cursor.created_at,
        sa.and_(_S.created_at == cursor.created_at, _S.id < cursor.session_id),
    )
