"""Hints for SQLite's query planner, spelled so that other databases read plain SQL.

SQLite plans without statistics (no ANALYZE is run), so for `id IN (…) AND status IN (…)`
it guesses, and it guesses the status index: the statement then walks every row in those
statuses (every running session, say) to find the few hundred it names, and gets slower
as the system grows. The ids are the selective term. `not_indexed(column)` renders the
column as `+column` on SQLite, the documented way to keep a term from choosing an index,
so the planner looks rows up by id and checks the status on each; elsewhere it renders the
column itself (PostgreSQL keeps statistics and plans such statements well).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class NotIndexed(ColumnElement[Any]):
    """A column that the SQLite planner may not use an index for (see the module)."""

    inherit_cache = True
    # What SQLAlchemy compares to cache the statements this element is part of.
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


def not_indexed(column: ColumnElement[Any]) -> NotIndexed:
    """`column`, for a term that must not pick the access path (see the module)."""
    return NotIndexed(column)


@compiles(NotIndexed)
def _plain(element: NotIndexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(NotIndexed, "sqlite")
def _unary_plus(element: NotIndexed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.column, **kw)}"
