"""`sokovan db`: inspect and migrate the database schema."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import typer
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.cli import output
from sokovan.cli.options import DatabaseUrlOption, DataDirOption
from sokovan.cli.settings import display_url, load_config
from sokovan.config import SokovanConfig
from sokovan.db import migrate
from sokovan.db.engine import create_engine

db_app = typer.Typer(
    help="Inspect and migrate the database schema.", no_args_is_help=True, add_completion=False
)


@asynccontextmanager
async def _engine(config: SokovanConfig) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(config.resolved_database_url(), echo=config.database_echo)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _upgrade(config: SokovanConfig) -> tuple[str | None, str | None]:
    async with _engine(config) as engine:
        before = await migrate.current_revision(engine)
        await migrate.upgrade(engine)
        return before, await migrate.current_revision(engine)


async def _current(config: SokovanConfig) -> str | None:
    async with _engine(config) as engine:
        return await migrate.current_revision(engine)


@db_app.command("upgrade")
def upgrade_command(database_url: DatabaseUrlOption = None, data_dir: DataDirOption = None) -> None:
    """Migrate the database to the newest schema; a no-op when it is already there.

    A failed migration is rolled back completely: the database stays as it was.
    """
    config = load_config(data_dir=data_dir, database_url=database_url)
    before, after = asyncio.run(_upgrade(config))
    target = display_url(config.resolved_database_url())
    if before == after:
        output.print_line(f"{target}: already at revision {after}; nothing to do")
    else:
        output.print_line(f"{target}: migrated {before or '(empty)'} → {after}", style="green")


@db_app.command("current")
def current_command(database_url: DatabaseUrlOption = None, data_dir: DataDirOption = None) -> None:
    """Show the database's schema revision and the newest one this release knows."""
    config = load_config(data_dir=data_dir, database_url=database_url)
    current = asyncio.run(_current(config))
    head = migrate.head_revision()
    output.print_fields(
        [
            ("database", display_url(config.resolved_database_url())),
            ("current", current or "(empty)"),
            ("head", head),
        ]
    )
    if current != head:
        output.print_line("run `sokovan db upgrade` to migrate", style="yellow")
