"""Schema migrations (Alembic), run in one transaction.

PostgreSQL and SQLite (with the engine's explicit BEGIN) both have transactional DDL, so a
migration that fails part-way rolls back and leaves the database exactly as it was.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.common.errors import DatabaseError
from sokovan.db.engine import check_connection

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _alembic_config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None, "the migrations directory has no revisions"
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    def _read(connection: sa.Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    await check_connection(engine)
    async with engine.connect() as conn:
        return await conn.run_sync(_read)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to `revision`; on any failure nothing is changed."""

    def _upgrade(connection: sa.Connection) -> None:
        command.upgrade(_alembic_config(connection), revision)

    await check_connection(engine)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade)
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(
            f"migration to {revision} failed and was rolled back: {reason}"
        ) from exc
