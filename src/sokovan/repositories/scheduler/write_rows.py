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
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.ids import AccessKey, AgentId, KernelId, SessionId
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.status import KernelStatus, SessionStatus
from sokovan.db import tables as t
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


_S = t.sessions.c
_K = t.kernels.c
# Selected in field order, so rows map onto the dataclasses positionally (the cheap way).
_SESSION_COLUMNS = tuple(_S[field.name] for field in fields(SessionRow))
_KERNEL_COLUMNS = tuple(_K[field.name] for field in fields(KernelRow))
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
    found: dict[SessionId, SessionRow] = {}
    for matching in id_filters(conn, _S.id, session_ids):
        statement = sa.select(*_SESSION_COLUMNS).where(matching).order_by(_S.id)
        for row in await conn.execute(for_update(conn, statement)):
            found[row.id] = SessionRow(*row)
    return found


async def lock_kernel_rows(
    conn: AsyncConnection, session_ids: Collection[SessionId]
) -> list[KernelRow]:
    """Every kernel of `session_ids`, locked; call after locking the sessions themselves."""
    found: list[KernelRow] = []
    for matching in id_filters(conn, _K.session_id, session_ids):
        statement = sa.select(*_KERNEL_COLUMNS).where(matching).order_by(_K.id)
        rows = await conn.execute(for_update(conn, statement))
        found.extend(KernelRow(*row) for row in rows)
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
        # Unchanged fields are usually the very same object: `is` spares the comparison.
        changed = tuple(
            name
            for name, old, new in zip(mutable, values_of(before), values_of(after), strict=True)
            if old is not new and old != new
        )
        if changed:
            row = {name: getattr(after, name) for name in changed}
            row["id"] = after.id
            by_columns[changed].append(row)
    for columns, rows in by_columns.items():
        await bulk_update(conn, table, columns, rows)
