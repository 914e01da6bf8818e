"""What the column types return on read, on both backends: ids, aware UTC timestamps, JSON,
exact slots, enums and NULLs, and loud failures for malformed stored data.

The types give SQLAlchemy one result function per column instead of its layered processors
(the storage type's, then the decorator's `process_result_value`); where a stored value is
spelled as the application never writes it, it is written as literal SQL and must read as the
layered path read it. SQLite's stored text is covered spelling by spelling in
test_sqlite_stored_text.py.
"""

from __future__ import annotations

import json
import pickle
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.errors import InvalidResourceValueError
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import SchedulingResult
from sokovan.common.status import SessionStatus
from sokovan.db import tables as t
from sokovan.db.types import ResourceSlotType, StrEnumType, UtcDateTime, UuidType
from support.factories import (
    T0,
    add_agent,
    add_image,
    add_scaling_group,
    add_session,
    add_tenant,
)

images = t.images


async def _store_literal(engine: AsyncEngine, column: str, sql_literal: str) -> None:
    """Set `column` of every image to `sql_literal`, spelled in SQL as another writer would."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Text without an offset means UTC, as SQLite rows are; not the server's zone.
            await conn.execute(sa.text("SET LOCAL TIME ZONE 'UTC'"))
        await conn.execute(sa.text(f"UPDATE images SET {column} = {sql_literal}"))


async def _read(engine: AsyncEngine, column: str) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(sa.select(images.c[column]))).scalar_one()


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- Identifiers --------------------------------------------------------------------------

IDS = [
    uuid.UUID(int=0),
    uuid.UUID(int=2**128 - 1),
    uuid.UUID("00000000-0000-0000-0000-0000000000ff"),
    uuid.UUID("12345678-9abc-4def-8123-456789abcdef"),
    uuid.uuid1(node=0x123456789ABC, clock_seq=0x1234),
]


async def test_ids_read_back_as_the_uuids_written(db_engine: AsyncEngine) -> None:
    for i, image_id in enumerate(IDS):
        await add_image(db_engine, id=image_id, name=f"image-{i}")
    async with db_engine.connect() as conn:
        read = list(await conn.scalars(sa.select(images.c.id).order_by(images.c.name)))

    assert read == IDS
    for got, written in zip(read, IDS, strict=True):
        assert isinstance(got, uuid.UUID)
        assert hash(got) == hash(written)
        assert (str(got), got.hex, got.version, got.variant) == (
            str(written),
            written.hex,
            written.version,
            written.variant,
        )
        assert pickle.loads(pickle.dumps(got)) == written
        if db_engine.dialect.name == "sqlite":  # asyncpg returns its own UUID subclass
            assert type(got) is uuid.UUID
            assert got.is_safe is uuid.SafeUUID.unknown
            with pytest.raises(TypeError, match="immutable"):
                got.__setattr__("int", 0)
    assert {*read} == {*IDS}
    assert sorted(read) == sorted(IDS)


async def test_foreign_key_ids_read_back_as_written(db_engine: AsyncEngine) -> None:
    await add_scaling_group(db_engine)
    tenant = await add_tenant(db_engine)
    session_id, (kernel_id,) = await add_session(db_engine, tenant)
    async with db_engine.connect() as conn:
        session = (await conn.execute(sa.select(t.sessions))).one()
        kernel = (await conn.execute(sa.select(t.kernels))).one()

    assert (session.id, session.group_id, session.user_id) == (
        session_id,
        tenant.group_id,
        tenant.user_id,
    )
    assert (kernel.id, kernel.session_id) == (kernel_id, session_id)


# --- Timestamps ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 1, 2, 12, 4, 5, 999_999, tzinfo=timezone(timedelta(hours=9))),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ],
    ids=["microseconds", "whole-second", "other-zone", "epoch", "last-microsecond"],
)
async def test_timestamps_read_back_aware_in_utc(db_engine: AsyncEngine, written: datetime) -> None:
    await add_image(db_engine, created_at=written)

    read = await _read(db_engine, "created_at")

    assert read == written
    assert read.tzinfo is UTC
    assert read.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        # What SQLAlchemy writes on SQLite: UTC, no offset, six fractional digits.
        ("2026-01-02 03:04:05.000006", datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)),
        ("2026-01-02 03:04:05.000000", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        # SQLite's CURRENT_TIMESTAMP, and other writers' spellings.
        ("2026-01-02 03:04:05", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026-01-02T03:04:05.123", datetime(2026, 1, 2, 3, 4, 5, 123_000, tzinfo=UTC)),
        ("2026-01-02 12:04:05+09:00", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026-01-01 23:04:05.5-04:00", datetime(2026, 1, 2, 3, 4, 5, 500_000, tzinfo=UTC)),
        ("2026-01-02 03:04:05+00:00", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ],
)
async def test_timestamps_stored_by_other_writers_read_in_utc(
    db_engine: AsyncEngine, stored: str, expected: datetime
) -> None:
    await add_image(db_engine)
    await _store_literal(db_engine, "created_at", _quoted(stored))

    read = await _read(db_engine, "created_at")

    assert read == expected
    assert read.tzinfo is UTC


# --- JSON, slots and enums ----------------------------------------------------------------


async def test_json_and_slots_round_trip_exactly(db_engine: AsyncEngine) -> None:
    environment = {
        "command": ["python3", "-c", "print('é')"],
        "nested": {"list": [1, 2.5, True, None], "empty": {}},
        "unicode": '☃ "quoted" \\ \t',
    }
    slots = ResourceSlot({"cpu": "0.1", "mem": 2**40, "cuda.shares": "0.30"})
    await add_image(db_engine, environment=environment, min_slots=slots, labels=[])

    async with db_engine.connect() as conn:
        row = (await conn.execute(sa.select(images))).one()

    assert row.environment == environment
    assert row.labels == []
    assert type(row.min_slots) is ResourceSlot
    assert row.min_slots == slots
    assert row.min_slots.to_json() == {"cpu": "0.1", "cuda.shares": "0.3", "mem": str(2**40)}
    assert row.min_slots["cpu"] == Decimal("0.1")
    assert row.min_slots["cpu"] + Decimal("0.2") == Decimal("0.3")


async def test_rows_with_equal_slots_read_as_equal_slots(db_engine: AsyncEngine) -> None:
    for i in range(3):
        await add_image(db_engine, name=f"i{i}", min_slots=ResourceSlot({"cpu": 2}))
    await add_image(db_engine, name="other", min_slots=ResourceSlot({"cpu": 3}))
    async with db_engine.connect() as conn:
        read = list(await conn.scalars(sa.select(images.c.min_slots).order_by(images.c.name)))

    assert read == [ResourceSlot({"cpu": 2})] * 3 + [ResourceSlot({"cpu": 3})]


async def test_nulls_read_as_none(db_engine: AsyncEngine) -> None:
    await add_scaling_group(db_engine)
    tenant = await add_tenant(db_engine)
    await add_agent(db_engine, "a1")
    session_id, _ = await add_session(
        db_engine, tenant, status_data=None, designated_agent_ids=None
    )
    async with db_engine.begin() as conn:
        await conn.execute(
            t.session_scheduling_history.insert(),
            [
                {
                    "id": uuid.uuid4(),
                    "session_id": session_id,
                    "phase": "schedule-sessions",
                    "from_status": None,
                    "to_status": None,
                    "result": SchedulingResult.SUCCESS,
                    "created_at": T0,
                    "updated_at": T0,
                }
            ],
        )
    async with db_engine.connect() as conn:
        history = (await conn.execute(sa.select(t.session_scheduling_history))).one()
        session = (await conn.execute(sa.select(t.sessions))).one()
        kernel = (await conn.execute(sa.select(t.kernels))).one()
        agent = (await conn.execute(sa.select(t.agents))).one()
        keypair = (await conn.execute(sa.select(t.keypairs))).one()

    assert (session.status_data, session.designated_agent_ids) == (None, None)
    assert (session.starts_at, session.terminated_at) == (None, None)
    assert (kernel.status_data, kernel.terminated_at, kernel.exit_code) == (None, None, None)
    assert (agent.lost_at, keypair.last_used_at) == (None, None)
    assert (history.from_status, history.to_status) == (None, None)
    assert history.result is SchedulingResult.SUCCESS


@pytest.mark.parametrize("column", ["min_slots", "environment"])
async def test_a_json_null_reads_as_none(db_engine: AsyncEngine, column: str) -> None:
    await add_image(db_engine)
    await _store_literal(db_engine, column, "'null'")

    assert await _read(db_engine, column) is None


async def test_an_unknown_enum_value_fails_loudly(db_engine: AsyncEngine) -> None:
    await add_scaling_group(db_engine)
    tenant = await add_tenant(db_engine)
    await add_session(db_engine, tenant)
    async with db_engine.connect() as conn:
        assert await conn.scalar(sa.select(t.sessions.c.status)) is SessionStatus.PENDING
    async with db_engine.begin() as conn:
        await conn.execute(sa.text("UPDATE sessions SET status = 'NOT_A_STATUS'"))

    async with db_engine.connect() as conn:
        with pytest.raises(ValueError, match="'NOT_A_STATUS' is not a valid SessionStatus"):
            await conn.scalar(sa.select(t.sessions.c.status))


SLOT_TEXTS = [
    '{"cpu": "0.1", "mem": "1099511627776"}',
    "{}",
    '{"cpu": 2, "mem": "1"}',  # ints, as other writers may store them
    '{"cpu": 1.5}',  # a float: read as its shortest repr
    '{"cpu": "1_000", "mem": " 7 "}',
    "[]",
    '{"cpu": "lots"}',
    '{"cpu": "NaN"}',
    '{"cpu": "-Infinity"}',
    '{"cpu": true}',
    '{"cpu": null}',
    '["cpu"]',
    "7",
    "0",
]


def _layered_slots(text: str) -> Any:
    """The layered path's result for stored JSON `text`: the value, or the error it raised."""
    data = json.loads(text)
    try:
        return None if data is None else ResourceSlot(data or {})
    except Exception as exc:  # the expected outcome, compared below
        return exc


@pytest.mark.parametrize("text", SLOT_TEXTS)
async def test_stored_slots_read_as_the_layered_path_read_them(
    db_engine: AsyncEngine, text: str
) -> None:
    await add_image(db_engine)
    await _store_literal(db_engine, "min_slots", _quoted(text))
    expected = _layered_slots(text)

    if isinstance(expected, Exception):
        with pytest.raises(type(expected)) as caught:
            await _read(db_engine, "min_slots")
        assert str(caught.value) == str(expected)
    else:
        read = await _read(db_engine, "min_slots")
        assert read == expected
        assert read.to_json() == expected.to_json()
        assert all(type(amount) is Decimal for amount in read.values())


async def test_malformed_slot_amounts_fail_with_the_constructor_s_error(
    db_engine: AsyncEngine,
) -> None:
    await add_image(db_engine)
    await _store_literal(db_engine, "min_slots", _quoted('{"cpu": "lots"}'))

    with pytest.raises(InvalidResourceValueError, match="invalid resource amount 'lots'"):
        await _read(db_engine, "min_slots")


# --- The schema ---------------------------------------------------------------------------


async def test_the_column_types_declare_what_the_migrations_created(
    db_engine: AsyncEngine,
) -> None:
    def reflected(connection: sa.Connection) -> dict[tuple[str, str], str]:
        inspector = sa.inspect(connection)
        return {
            (table, column["name"]): column["type"].compile(dialect=connection.dialect)
            for table in t.metadata.tables
            for column in inspector.get_columns(table)
        }

    async with db_engine.connect() as conn:
        created = await conn.run_sync(reflected)
        declared = {
            (table.name, column.name): column.type.compile(dialect=conn.dialect)
            for table in t.metadata.sorted_tables
            for column in table.columns
            if isinstance(
                column.type, UuidType | UtcDateTime | StrEnumType | ResourceSlotType | sa.JSON
            )
        }

    assert len(declared) > 50
    assert {key: created[key] for key in declared} == declared
