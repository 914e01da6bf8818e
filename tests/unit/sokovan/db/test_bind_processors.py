"""Bind processing on SQLite: one call per value, the text and errors of the layered path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from sokovan.common.status import SessionStatus
from sokovan.db.types import StrEnumType, UtcDateTime

SQLITE = sqlite.dialect()


def _stock_text(value: datetime) -> Any:
    """What the layered path stored: astimezone(UTC), then SQLite's DATETIME processor."""
    stock = sa.DateTime(timezone=True).dialect_impl(SQLITE).bind_processor(SQLITE)
    assert stock is not None
    return stock(value.astimezone(UTC))


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        datetime(2026, 1, 2, 12, 4, 5, tzinfo=timezone(timedelta(hours=9))),
        datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_timestamps_are_stored_as_the_layered_path_stored_them(value: datetime) -> None:
    write = UtcDateTime().bind_processor(SQLITE)
    assert write is not None

    assert write(value) == _stock_text(value)
    assert write(value) == _stock_text(value)  # again, from the remembered text


def test_a_remembered_text_is_only_handed_out_for_the_same_object() -> None:
    write = UtcDateTime().bind_processor(SQLITE)
    assert write is not None
    first = datetime(2026, 1, 2, tzinfo=UTC)
    later = first + timedelta(microseconds=1)

    assert [write(first), write(later), write(first), write(None)] == [
        "2026-01-02 00:00:00.000000",
        "2026-01-02 00:00:00.000001",
        "2026-01-02 00:00:00.000000",
        None,
    ]


@pytest.mark.parametrize("value", [datetime(2026, 1, 2), "2026-01-02"])
def test_a_naive_or_foreign_timestamp_is_refused(value: object) -> None:
    write = UtcDateTime().bind_processor(SQLITE)
    assert write is not None

    with pytest.raises(ValueError, match="expected a timezone-aware datetime"):
        write(value)


def test_enums_bind_their_values_and_refuse_others() -> None:
    write = StrEnumType(SessionStatus).bind_processor(SQLITE)
    assert write is not None

    assert write(SessionStatus.RUNNING) == "RUNNING"
    assert write("PENDING") == "PENDING"
    assert write(None) is None
    with pytest.raises(ValueError, match="'BOGUS' is not a valid SessionStatus"):
        write("BOGUS")
    with pytest.raises(ValueError, match="is not a valid SessionStatus"):
        write(["RUNNING"])


def test_postgresql_keeps_the_layered_bind_of_timestamps() -> None:
    dialect = postgresql.asyncpg.dialect()  # type: ignore[attr-defined]
    write = UtcDateTime().bind_processor(dialect)
    moment = datetime(2026, 1, 2, 12, tzinfo=timezone(timedelta(hours=9)))

    assert write is not None
    bound = write(moment)
    assert bound == moment
    assert bound.tzinfo is UTC
