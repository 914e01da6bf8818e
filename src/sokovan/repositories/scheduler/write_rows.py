"""The mutable part of session and kernel rows as values, locked on read and written in bulk.

Every write path of the scheduler repository follows one pattern: lock and read the rows it
may change, compute their new values in pure code (`write_transitions`), and write back only
the rows that changed with one bulk UPDATE per table. Reading under lock makes the decisions
taken in Python (guards, "only when it actually changes") exact.

Lock order, everywhere: sessions, then kernels, then agents (each set in id order, which the
ORDER BY of the locking SELECT gives). Keeping one global order is what lets concurrent
writers queue instead of deadlocking.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from itertools import compress
from operator import attrgetter, is_not
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.frozen import slot_builder
from sokovan.common.ids import AccessKey, AgentId, KernelId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.db import tables as t
from sokovan.db.types import ResourceSlotType
from sokovan.repositories.scheduler.read_slots import SlotsReader, slots_text
from sokovan.repositories.scheduler.write_bulk import bulk_update, id_filters


def for_update(conn: AsyncConnection, statement: sa.Select[Any]) -> sa.Select[Any]:
    """Row locks on PostgreSQL; SQLite transactions already hold the database write lock."""
    return statement.with_for_update() if conn.dialect.name == "postgresql" else statement


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: SessionId
    access_key: AccessKey
    scaling_group: str
    status: SessionStatus
    status_info: str | None
    status_changed: datetime
    occupying_slots: ResourceSlot
    terminated_at: datetime | None


@dataclass(frozen=True, slots=True)
class KernelRow:
    id: KernelId
    session_id: SessionId
    agent_id: AgentId | None
    agent_addr: str | None
    container_id: str | None
    status: KernelStatus
    status_info: str | None
    status_changed: datetime
    occupied_slots: ResourceSlot
    exit_code: int | None
    terminated_at: datetime | None


R = TypeVar("R")


class _RowShape(Generic[R]):
    """A row dataclass's columns, selected in field order so that rows map onto it
    positionally (the cheap way); slot columns come as text, each distinct one parsed once."""

    def __init__(self, row_type: type[R], table: sa.Table, names: Sequence[str]):
        self._build = slot_builder(row_type)
        is_slots = [isinstance(table.c[name].type, ResourceSlotType) for name in names]
        self.columns = tuple(
            slots_text(table.c[name], name) if slots else table.c[name]
            for name, slots in zip(names, is_slots, strict=True)
        )
        self._slot_positions = tuple(compress(range(len(names)), is_slots))

    def rows(self, result: Iterable[Sequence[Any]]) -> Iterator[R]:
        read = SlotsReader()
        for row in result:
            values = list(row)
            for position in self._slot_positions:
                values[position] = read(values[position])
            yield self._build(*values)


_S = t.sessions.c
_K = t.kernels.c
_SESSION_SHAPE = _RowShape(SessionRow, t.sessions, [field.name for field in fields(SessionRow)])
_KERNEL_SHAPE = _RowShape(KernelRow, t.kernels, [field.name for field in fields(KernelRow)])
#: What writers may change; identity and ownership columns are never written back.
_SESSION_MUTABLE = ("status", "status_info", "status_changed", "occupying_slots", "terminated_at")
_KERNEL_MUTABLE = (
    "agent_id",
    "agent_addr",
    "container_id",
    "status",
    "status_info",
    "status_changed",
    "occupied_slots",
    "exit_code",
    "terminated_at",
)


async def lock_session_rows(
    conn: AsyncConnection, session_ids: Collection[SessionId]
) -> dict[SessionId, SessionRow]:
    """The sessions that exist among `session_ids`, locked in id order."""
    return {row.id: row for row in await _locked(conn, _SESSION_SHAPE, _S.id, session_ids)}


async def lock_kernel_rows(
    conn: AsyncConnection, session_ids: Collection[SessionId]
) -> list[KernelRow]:
    """Every kernel of `session_ids`, locked; call after locking the sessions themselves."""
    return await _locked(conn, _KERNEL_SHAPE, _K.session_id, session_ids)


async def lock_kernels_by_id(
    conn: AsyncConnection, kernel_ids: Collection[KernelId]
) -> dict[KernelId, KernelRow]:
    """The kernels that exist among `kernel_ids`, locked in id order, without their sessions.

    Only for writers that change nothing but these kernels; the global lock order holds
    because such a writer takes no session lock afterwards.
    """
    return {row.id: row for row in await _locked(conn, _KERNEL_SHAPE, _K.id, kernel_ids)}


async def _locked(
    conn: AsyncConnection, shape: _RowShape[R], column: sa.Column[Any], values: Collection[Any]
) -> list[R]:
    """The rows whose `column` is among `values`, locked in id order."""
    id_column = column.table.c.id
    found: list[R] = []
    for matching in id_filters(conn, column, values):
        statement = sa.select(*shape.columns).where(matching).order_by(id_column)
        found.extend(shape.rows(await conn.execute(for_update(conn, statement))))
    return found


async def write_session_changes(
    conn: AsyncConnection, changes: Iterable[tuple[SessionRow, SessionRow]]
) -> None:
    """Write each (before, after) pair's changed columns; see `_write_changes`."""
    await _write_changes(conn, t.sessions, _SESSION_MUTABLE, changes)


async def write_kernel_changes(
    conn: AsyncConnection, changes: Iterable[tuple[KernelRow, KernelRow]]
) -> None:
    """Write each (before, after) pair's changed columns; see `_write_changes`."""
    await _write_changes(conn, t.kernels, _KERNEL_MUTABLE, changes)


async def _write_changes(
    conn: AsyncConnection,
    table: sa.Table,
    mutable: Sequence[str],
    changes: Iterable[tuple[SessionRow, SessionRow] | tuple[KernelRow, KernelRow]],
) -> None:
    """One bulk UPDATE per set of changed columns; unchanged pairs write nothing.

    Writing only what changed keeps the statements narrow, and the rows of one batch usually
    change the same columns, so this is almost always a single statement per table.
    """
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    values_of = attrgetter(*mutable)
    for before, after in changes:
        olds, news = values_of(before), values_of(after)
        # Unchanged fields are usually the very same object: only the others are compared.
        candidates = compress(zip(mutable, olds, news, strict=True), map(is_not, olds, news))
        changed = tuple(name for name, old, new in candidates if old != new)
        if changed:
            row = {name: getattr(after, name) for name in changed}
            row["id"] = after.id
            by_columns[changed].append(row)
    for columns, rows in by_columns.items():
        await bulk_update(conn, table, columns, rows)
