"""Scheduling history: the latest row per session, and recording outcomes with merging.

`write_history` is shared with `update_with_history`, which records history in the same
transaction as the status changes it describes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.ids import SessionId
from sokovan.db import tables as t
from sokovan.repositories.base import RepositoryBase
from sokovan.repositories.scheduler.read_rows import AnyRow, columns_of
from sokovan.repositories.scheduler.types import SchedulingHistoryRecord
from sokovan.repositories.scheduler.write_bulk import bulk_update, id_filters, insert_rows
from sokovan.repositories.scheduler.write_history_plan import HistoryHead, plan_history
from sokovan.repositories.scheduler.write_specs import (
    SchedulingHistoryCreator,
    SessionHistorySpec,
)

_H = t.session_scheduling_history.c


class HistoryMixin(RepositoryBase):
    async def get_last_session_histories(
        self, session_ids: Sequence[SessionId]
    ) -> dict[SessionId, SchedulingHistoryRecord]:
        """The most recent history row of each session (by created_at, then updated_at).

        Sessions without history are absent from the result.
        """
        async with self._engine.connect() as conn:
            rows = await latest_history_rows(conn, session_ids)
        return {record.session_id: record for record in map(history_record_from_row, rows)}

    async def create_scheduling_history(self, creator: SchedulingHistoryCreator) -> None:
        """Record `creator.specs`, merging repeated outcomes (see `write_history`)."""
        if not creator.specs:
            return
        async with self._engine.begin() as conn:
            await write_history(conn, creator.specs, self._clock.now())


async def latest_history_rows(
    conn: AsyncConnection,
    session_ids: Collection[SessionId],
    columns: Sequence[sa.ColumnElement[Any]] = tuple(t.session_scheduling_history.c),
) -> list[AnyRow]:
    """`columns` (by default every column) of each session's latest history row, in one
    statement for any number of sessions.

    Latest: by created_at, then updated_at, then id. The statement finds each session's
    rows at its latest created_at (an aggregate over the (session_id, created_at) index,
    several times cheaper than ranking every row with a window function); the rare tie is
    broken here, on the session id, updated_at and id it selects after `columns`.
    """
    tie_break = (_H.session_id, _H.updated_at, _H.id)
    width = len(columns)
    latest: dict[Any, tuple[Any, Any, AnyRow]] = {}
    for matching in id_filters(conn, _H.session_id, session_ids):
        newest = (
            sa.select(_H.session_id, sa.func.max(_H.created_at).label("created_at"))
            .where(matching)
            .group_by(_H.session_id)
            .subquery()
        )
        heads = sa.select(*columns, *tie_break).join(
            newest,
            sa.and_(_H.session_id == newest.c.session_id, _H.created_at == newest.c.created_at),
        )
        for row in (await conn.execute(heads)).all():
            session_id, updated_at, row_id = row[width:]
            held = latest.get(session_id)
            if held is None or (updated_at, row_id) > held[:2]:
                latest[session_id] = (updated_at, row_id, row)
    return [row for _, _, row in latest.values()]


#: What `write_history` compares a spec with, the row's id first.
_HEAD_COLUMNS = (_H.id, _H.session_id, _H.phase, _H.result, _H.error_code, _H.to_status)


async def write_history(
    conn: AsyncConnection, specs: Sequence[SessionHistorySpec], now: datetime
) -> None:
    """Record `specs` on the caller's transaction: one read, one bulk update, one bulk insert.

    When a session's latest row has the same phase, result, error_code and to_status as a
    spec, that row's attempts grows by one and it takes the spec's message and `now` as
    updated_at; otherwise a new row with attempts=1 is inserted. The increment is done in
    SQL (attempts + n), so concurrent merges into one row never lose a count.
    """
    if not specs:
        return
    rows = await latest_history_rows(conn, {spec.session_id for spec in specs}, _HEAD_COLUMNS)
    heads = {
        session_id: HistoryHead(row_id, phase, result, error_code, to_status)
        for row_id, session_id, phase, result, error_code, to_status, *_ in rows
    }
    plan = plan_history(heads, specs, now)
    await bulk_update(
        conn,
        t.session_scheduling_history,
        ("attempts", "message", "updated_at"),
        [
            {"id": inc.row_id, "attempts": inc.attempts, "message": inc.message, "updated_at": now}
            for inc in plan.increments
        ],
        add={"attempts"},
    )
    await insert_rows(conn, t.session_scheduling_history, plan.inserts)


_history_columns = columns_of(
    t.session_scheduling_history, [field.name for field in fields(SchedulingHistoryRecord)]
)


def history_record_from_row(row: Row[Any]) -> SchedulingHistoryRecord:
    """A row selected with every history column first, in table order (see read_rows)."""
    return SchedulingHistoryRecord(*_history_columns(row))
