"""Dialect-aware statement builders the tenancy repository shares."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from sokovan.common.errors import InvalidInputError


def insert_if_absent(dialect: str, table: sa.Table, conflict_columns: Sequence[str]) -> sa.Insert:
    """`INSERT … ON CONFLICT (conflict_columns) DO NOTHING` for PostgreSQL or SQLite.

    Unlike a read followed by an insert, this cannot race with a concurrent writer: one of
    them inserts, the other sees a row count of zero.
    """
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=conflict_columns)
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=conflict_columns)


@contextmanager
def integrity_errors_as_invalid_input(action: str) -> Iterator[None]:
    """Report a constraint the pre-checks could not see (a concurrent writer) as bad input."""
    try:
        yield
    except IntegrityError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise InvalidInputError(f"cannot {action}: {reason}") from exc
