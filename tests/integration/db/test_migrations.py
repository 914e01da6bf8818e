"""Migrations from an empty database, on SQLite and on a fresh PostgreSQL database.

A failed migration must leave the database exactly as it was: both backends run the whole
upgrade in one transaction with transactional DDL.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.errors import DatabaseError
from sokovan.db.engine import create_engine
from sokovan.db.migrate import current_revision, head_revision, upgrade
from sokovan.db.tables import metadata


async def _admin_execute(pg_url: str, statement: str) -> None:
    dsn = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
async def empty_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    """An engine on a database with no tables at all (its own throwaway one on PostgreSQL)."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        try:
            yield engine
        finally:
            await engine.dispose()
        return
    server_url: str = request.getfixturevalue("pg_url")
    name = f"sokovan_migrate_{uuid.uuid4().hex[:12]}"
    await _admin_execute(server_url, f'CREATE DATABASE "{name}"')
    engine = create_engine(make_url(server_url).set(database=name).render_as_string(False))
    try:
        yield engine
    finally:
        await engine.dispose()
        await _admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names()))


async def test_upgrade_from_empty_reaches_head_and_reruns_as_a_no_op(
    empty_engine: AsyncEngine,
) -> None:
    assert await current_revision(empty_engine) is None

    await upgrade(empty_engine)
    tables_after_first = await _table_names(empty_engine)
    await upgrade(empty_engine)

    assert await current_revision(empty_engine) == head_revision()
    assert tables_after_first == {*metadata.tables, "alembic_version"}
    assert await _table_names(empty_engine) == tables_after_first


async def test_failed_migration_leaves_the_database_as_it_was(empty_engine: AsyncEngine) -> None:
    # A table the migration also creates, with an incompatible definition: the migration
    # creates several tables before it reaches this one and must take them all back.
    async with empty_engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE kernels (id INTEGER PRIMARY KEY, note TEXT)"))
        await conn.execute(sa.text("INSERT INTO kernels (id, note) VALUES (1, 'mine')"))

    with pytest.raises(DatabaseError, match="migration to head failed and was rolled back"):
        await upgrade(empty_engine)

    assert await _table_names(empty_engine) == {"kernels"}
    assert await current_revision(empty_engine) is None
    async with empty_engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT id, note FROM kernels"))).all()
    assert [tuple(row) for row in rows] == [(1, "mine")]
