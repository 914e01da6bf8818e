"""Set-based statements over many rows: id filters, bulk UPDATE by id, bulk INSERT.

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

`insert_rows` inserts many rows. On SQLite the INSERT is compiled once per table and set of
columns, and each row is bound as a tuple through the columns' own bind processors: the
same stored values, without SQLAlchemy's per-row parameter handling (a third of the cost of
a history row).
"""

from __future__ import annotations

import json
import weakref
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


async def insert_rows(
    conn: AsyncConnection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """INSERT `rows` (domain values, every row with the same keys) into `table`.

    A column a row leaves out takes its default, as with `table.insert()`: on SQLite a
    constant default is bound with the row; a computed one sends the rows through
    SQLAlchemy, as do all rows on other backends.
    """
    if not rows:
        return
    names = tuple(rows[0])
    if conn.dialect.name != "sqlite":
        await conn.execute(table.insert(), rows)
        return
    compiled = _compiled_insert(conn.dialect, table, names)
    if compiled is None:
        await conn.execute(table.insert(), rows)
        return
    sql, parameters = compiled
    await conn.exec_driver_sql(
        sql,
        [
            tuple(
                bound if name is None else row[name] if bind is None else bind(row[name])
                for name, bind, bound in parameters
            )
            for row in rows
        ],
    )


#: An INSERT's SQL and, per parameter in order, the row key it takes (None: a column the rows
#: leave out) with its binder, or the bound default of a column left out.
_CompiledInsert = tuple[str, tuple[tuple[str | None, Callable[[Any], Any] | None, Any], ...]]
#: Per dialect: (table, given columns) → the compiled INSERT, or None when some column left
#: out has a computed default.
_compiled_inserts: weakref.WeakKeyDictionary[
    Dialect, dict[tuple[sa.Table, tuple[str, ...]], _CompiledInsert | None]
] = weakref.WeakKeyDictionary()


def _compiled_insert(
    dialect: Dialect, table: sa.Table, names: tuple[str, ...]
) -> _CompiledInsert | None:
    known = _compiled_inserts.setdefault(dialect, {})
    if (table, names) not in known:
        known[(table, names)] = _compile_insert(dialect, table, names)
    return known[(table, names)]


def _compile_insert(
    dialect: Dialect, table: sa.Table, names: tuple[str, ...]
) -> _CompiledInsert | None:
    defaults: dict[str, Any] = {}
    for column in table.c:
        if column.name in names or column.default is None:
            continue
        if not (isinstance(column.default, sa.ColumnDefault) and column.default.is_scalar):
            return None
        defaults[column.name] = column.default.arg
    statement = (
        table.insert()
        .values(
            {name: sa.bindparam(name, type_=table.c[name].type) for name in (*names, *defaults)}
        )
        .compile(dialect=dialect)
    )
    parameters: list[tuple[str | None, Callable[[Any], Any] | None, Any]] = []
    for name in statement.positiontup or ():
        bind = _binder(dialect, table.c[name])
        if name in defaults:
            value = defaults[name]
            parameters.append((None, None, value if bind is None else bind(value)))
        else:
            parameters.append((name, bind, None))
    return statement.string, tuple(parameters)


def _binder(dialect: Dialect, column: sa.Column[Any]) -> Callable[[Any], Any] | None:
    processor: Callable[[Any], Any] | None = column.type.dialect_impl(dialect).bind_processor(
        dialect
    )
    return processor
