"""Statement helpers the API repository's admin reads and writes share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from sokovan.common.errors import NotFoundError
from sokovan.db import tables as t
from sokovan.repositories.api.types import ListWindow
from sokovan.repositories.scheduler.read_rows import AnyRow
from sokovan.repositories.tenancy.errors import UnknownReferenceError


def windowed(statement: sa.Select[Any], window: ListWindow) -> sa.Select[Any]:
    return statement.limit(window.limit).offset(window.offset)


async def select_one(
    conn: AsyncConnection, table: sa.Table, key: tuple[sa.Column[Any], object]
) -> AnyRow | None:
    """The whole row whose `key` column equals the key value, or None."""
    column, value = key
    return (await conn.execute(sa.select(table).where(column == value))).one_or_none()


async def require_policy(conn: AsyncConnection, values: Mapping[str, Any]) -> None:
    """Raise `UnknownReferenceError` if `values` sets a resource_policy that does not exist.

    Checked inside the writing transaction, so the message names the policy on both backends
    instead of surfacing a foreign-key violation.
    """
    name = values.get("resource_policy")
    if name is None:
        return
    policies = t.resource_policies.c
    if await conn.scalar(sa.select(policies.name).where(policies.name == name)) is None:
        raise UnknownReferenceError("resource policy", name)


async def update_one(
    conn: AsyncConnection,
    table: sa.Table,
    key: tuple[sa.Column[Any], object],
    values: Mapping[str, Any],
    kind: str,
) -> AnyRow:
    """Set `values` on the row whose `key` column equals the key value; return the whole row.

    With nothing to change, the row is read as it is. Raises `NotFoundError` (naming `kind`)
    when there is no such row, and `UnknownReferenceError` for an unknown resource policy.
    """
    column, value = key
    await require_policy(conn, values)
    if values:
        updated = table.update().where(column == value).values(**values).returning(*table.c)
        row = (await conn.execute(updated)).one_or_none()
    else:
        row = await select_one(conn, table, key)
    if row is None:
        raise NotFoundError(f"{kind} {str(value)!r} does not exist")
    return row
