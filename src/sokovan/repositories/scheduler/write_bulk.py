"""Set-based statements over many ids: id filters and bulk UPDATE by id.

`id_filters` matches many ids in one statement: `= ANY(array)` on PostgreSQL (one bind
parameter, whatever the number of ids), IN-list chunks elsewhere.

`bulk_update` writes many rows, each with its own values, in one statement. On PostgreSQL
the rows travel as one array per column and are joined in a single UPDATE,
`UPDATE t SET c = v.c FROM unnest($ids, $c, …) AS v(id, c, …) WHERE t.id = v.id`, which costs
a fraction of executemany's one UPDATE per row (one plan, one executor run, arrays bound by
the driver); a value all rows share is bound once instead. Elsewhere (SQLite) executemany is
used; there it is an in-process loop anyway, except when every row gets the same values (a
batch of sessions moving to one status at one moment): then one UPDATE … WHERE id IN (…)
binds and converts the values once instead of once per row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

#: Ids per IN list where arrays are not available: below SQLite's bind-parameter limit (32766).
MAX_IN_LIST = 5_000


def id_filters(
    conn: AsyncConnection, column: sa.Column[Any], ids: Collection[Any]
) -> Iterator[sa.ColumnElement[bool]]:
    """WHERE clauses that together match `ids` (none for no ids); run one statement each."""
    unique = list(set(ids))
    if not unique:
        return
    if conn.dialect.name == "postgresql":
        yield column == sa.any_(sa.bindparam(None, unique, type_=ARRAY(column.type)))
        return
    for start in range(0, len(unique), MAX_IN_LIST):
        yield column.in_(unique[start : start + MAX_IN_LIST])


async def bulk_update(
    conn: AsyncConnection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    *,
    add: Collection[str] = (),
) -> None:
    """Set `columns` of each row identified by `row["id"]` to the row's values.

    Columns named in `add` are incremented by the row's value instead (in SQL, so concurrent
    increments never lose a count). Values are domain values (ResourceSlot, StrEnum, aware
    datetimes), as for any insert.
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        await _update_from_arrays(conn, table, columns, rows, add)
        return
    if all(_is_shared(rows, name) for name in columns):
        shared = {
            name: _assigned(
                table.c[name],
                sa.bindparam(f"s_{name}", rows[0][name], type_=table.c[name].type),
                add,
            )
            for name in columns
        }
        for matching in id_filters(conn, table.c.id, [row["id"] for row in rows]):
            await conn.execute(table.update().where(matching).values(shared))
        return
    values = {
        name: _assigned(table.c[name], sa.bindparam(f"b_{name}", type_=table.c[name].type), add)
        for name in columns
    }
    await conn.execute(
        table.update().where(table.c.id == sa.bindparam("b_id")).values(values),
        [{f"b_{key}": value for key, value in row.items()} for row in rows],
    )


async def _update_from_arrays(
    conn: AsyncConnection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    add: Collection[str],
) -> None:
    # A value every row shares (one status, one timestamp) is bound once rather than as an
    # array of copies: the driver encodes each array element separately.
    shared = {name for name in columns if _is_shared(rows, name)}
    names = ["id", *(name for name in columns if name not in shared)]
    arrays = []
    for name in names:
        column = table.c[name]
        convert = _element_converter(column, conn.dialect)
        column_values = [row[name] for row in rows]
        arrays.append(
            sa.bindparam(
                f"a_{name}",
                column_values if convert is None else list(map(convert, column_values)),
                type_=ARRAY(_element_type(column)),
            )
        )
    joined = sa.func.unnest(*arrays).table_valued(*names).render_derived(name="v")
    values = {
        name: _assigned(
            table.c[name],
            sa.bindparam(f"s_{name}", rows[0][name], type_=table.c[name].type)
            if name in shared
            else _from_element(table.c[name], joined.c[name]),
            add,
        )
        for name in columns
    }
    await conn.execute(table.update().where(table.c.id == joined.c.id).values(values))


def _is_shared(rows: Sequence[Mapping[str, Any]], name: str) -> bool:
    """Whether every row holds the very same object as `name` (identity: cheap and exact)."""
    first = rows[0][name]
    return all(row[name] is first for row in rows)


def _assigned(column: sa.Column[Any], value: Any, add: Collection[str]) -> Any:
    return column + value if column.name in add else value


def _storage_type(column: sa.Column[Any]) -> sa.types.TypeEngine[Any]:
    column_type = column.type
    return column_type.impl_instance if isinstance(column_type, sa.TypeDecorator) else column_type


def _is_json(column: sa.Column[Any]) -> bool:
    return isinstance(_storage_type(column), sa.JSON)


def _element_type(column: sa.Column[Any]) -> sa.types.TypeEngine[Any]:
    # JSON travels as text and is cast back: arrays of jsonb need no driver codec that way.
    return sa.Text() if _is_json(column) else _storage_type(column)


def _element_converter(column: sa.Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """Turns a domain value into what the column's storage type binds (decorators applied);
    None when values bind as they are.

    Rows of a batch mostly share value objects (one status, one timestamp), so conversions
    are memoised by object identity for the duration of one statement.
    """
    column_type = column.type
    if not isinstance(column_type, sa.TypeDecorator) and not _is_json(column):
        return None
    decorate: Callable[[Any], Any] = (
        (lambda value: column_type.process_bind_param(value, dialect))
        if isinstance(column_type, sa.TypeDecorator)
        else (lambda value: value)
    )
    encode = json.JSONEncoder(separators=(",", ":")).encode if _is_json(column) else None
    memo: dict[int, Any] = {}

    def convert(value: Any) -> Any:
        key = id(value)
        if key not in memo:
            bound = decorate(value)
            memo[key] = encode(bound) if encode is not None and bound is not None else bound
        return memo[key]

    return convert


def _from_element(column: sa.Column[Any], element: sa.ColumnElement[Any]) -> Any:
    return sa.cast(element, JSONB) if _is_json(column) else element
