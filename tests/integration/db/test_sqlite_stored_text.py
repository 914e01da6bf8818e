"""SQLite's stored text: the form the application writes, and every other spelling a row may
hold (older rows, other writers, malformed data), read as SQLAlchemy's layered processors read it.

The column types read stored text with their own one-call functions (sokovan.db.types). The
reference here is the layered path rebuilt from stock SQLAlchemy on the same dialect: the
storage type's processor (`sa.Uuid`, `sa.JSON`, `sa.DateTime(timezone=True)`), then the
conversion the column type applied (UTC awareness, `ResourceSlot(data or {})`). Values and
errors (type and message) must match.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sokovan.common.resource_slot import ResourceSlot
from sokovan.db import tables as t
from sokovan.db.engine import create_engine
from sokovan.db.types import ResourceSlotType, UtcDateTime, UuidType
from support.factories import add_image

images = t.images


@pytest.fixture
async def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated SQLite database (most of these spellings PostgreSQL would refuse)."""
    path = tmp_path / "spellings.db"
    shutil.copyfile(sqlite_template, path)
    engine = create_engine(f"sqlite:///{path}")
    try:
        yield engine
    finally:
        await engine.dispose()


async def _store_text(engine: AsyncEngine, column: str, text: str) -> None:
    """Store `text` in `column` of every image as a SQL literal, as another writer would."""
    literal = "'" + text.replace("'", "''") + "'"
    async with engine.begin() as conn:
        await conn.execute(sa.text(f"UPDATE images SET {column} = {literal}"))


async def test_sqlite_stores_ids_and_timestamps_as_the_fast_reads_expect(
    sqlite_engine: AsyncEngine,
) -> None:
    # Rows written before the reads were flattened are in this form too: binding is unchanged.
    image_id = uuid.UUID("12345678-9ABC-4DEF-8123-456789ABCDEF")
    moment = datetime(2026, 1, 2, 12, 4, 5, 6, tzinfo=timezone(timedelta(hours=9)))
    await add_image(sqlite_engine, id=image_id, created_at=moment)
    async with sqlite_engine.connect() as conn:
        stored = await conn.exec_driver_sql("SELECT id, created_at FROM images")
        stored_id, stored_at = tuple(stored.one())

    assert stored_id == "123456789abc4def8123456789abcdef"
    assert stored_at == "2026-01-02 03:04:05.000006"


def _aware_utc(moment: datetime | None) -> datetime | None:
    """The conversion UtcDateTime has always applied to what the storage type returned."""
    if moment is None or moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _layered(conn: AsyncConnection, column: str) -> Callable[[Any], Any]:
    """The layered path's processing of `column` on this dialect, from stock SQLAlchemy."""
    dialect = conn.dialect

    def stock(type_: sa.types.TypeEngine[Any]) -> Callable[[Any], Any]:
        process = type_.dialect_impl(dialect).result_processor(dialect, None)
        assert process is not None
        return process

    column_type = images.c[column].type
    if isinstance(column_type, UuidType):
        return stock(sa.Uuid())
    if isinstance(column_type, UtcDateTime):
        as_datetime = stock(sa.DateTime(timezone=True))
        return lambda value: _aware_utc(as_datetime(value))
    as_json = stock(sa.JSON())
    if isinstance(column_type, ResourceSlotType):

        def as_slots(value: Any) -> ResourceSlot | None:
            data = as_json(value)
            return None if data is None else ResourceSlot(data or {})

        return as_slots
    return as_json


def _outcome(process: Callable[[], Any]) -> tuple[str, Any]:
    try:
        value = process()
    except Exception as exc:  # the outcome under comparison
        return ("raises", (type(exc), str(exc)))
    if isinstance(value, datetime):
        return ("value", (value, value.tzinfo))
    return ("value", (type(value), value))


HEX = "12345678" * 4
SPELLINGS = [
    ("id", HEX),
    ("id", HEX.upper()),
    ("id", str(uuid.UUID(HEX))),
    ("id", "{" + HEX + "}"),
    ("id", "urn:uuid:" + str(uuid.UUID(HEX))),
    ("id", "-" + HEX[1:]),
    ("id", "0x" + HEX[2:]),
    ("id", " " + HEX[1:]),
    ("id", "1_" + HEX[2:]),
    ("id", "g" * 32),
    ("id", HEX[1:]),
    ("id", HEX + "0"),
    ("id", ""),
    ("created_at", "2026-01-02 03:04:05.000006"),
    ("created_at", "2026-01-02 03:04:05"),
    ("created_at", "2026-01-02T03:04"),
    ("created_at", "2026-01-02"),
    ("created_at", "2026-01-02+05:00"),
    ("created_at", "20260102T0304"),
    ("created_at", "2026-01-02 03:04:05.1234567"),
    ("created_at", "2026-01-02 12:04:05+09:00"),
    ("created_at", "2026-01-02 12:04:05+0900"),
    ("created_at", "2026-01-02 03:04:05Z"),
    ("created_at", "2026-01-02 03:04:05.12"),
    ("created_at", "2026-01-02 03:04:05+"),
    ("created_at", "2026-01-02 03:04:05+00:00+00:00"),
    ("created_at", "2026-13-02 03:04:05"),
    ("created_at", "yesterday"),
    ("created_at", ""),
    ("created_at", "20260102"),  # NUMERIC affinity: SQLite stores the integer
    ("environment", '{"a": [1, 2.5, null]}'),
    ("environment", ' {"a": 1}'),
    ("environment", '{"a": 1} '),
    ("environment", '{"a": 1} x'),
    ("environment", '"text"'),
    ("environment", "5"),  # NUMERIC affinity: read back as the integer 5
    ("environment", "1.5"),
    ("environment", "{bad"),
    ("environment", ""),
    ("min_slots", '{"cpu": "0.5"}'),
    ("min_slots", ' {"cpu": "0.5"}'),
    ("min_slots", "{bad"),
    ("min_slots", "7"),
]


@pytest.mark.parametrize(("column", "stored"), SPELLINGS)
async def test_sqlite_reads_every_spelling_as_the_layered_processors_did(
    sqlite_engine: AsyncEngine, column: str, stored: str
) -> None:
    await add_image(sqlite_engine)
    await _store_text(sqlite_engine, column, stored)
    async with sqlite_engine.connect() as conn:
        raw = (await conn.exec_driver_sql(f"SELECT {column} FROM images")).scalar_one()
        layered = _layered(conn, column)
        read = _outcome(lambda: layered(raw))
        try:
            result = (await conn.execute(sa.select(images.c[column]))).scalar_one()
        except Exception as exc:  # the outcome under comparison
            got = ("raises", (type(exc), str(exc)))
        else:
            got = _outcome(lambda: result)
    assert got == read
