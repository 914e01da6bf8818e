"""The embedded bootstrap against real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from sokovan.auth.secrets import verify_secret
from sokovan.bootstrap import ADMIN_EMAIL, API_URL, bootstrap, read_credentials
from sokovan.common.clock import ManualClock
from sokovan.common.errors import ConfigurationError
from sokovan.common.resource_slot import ResourceSlot
from sokovan.common.scheduling import AgentSelectionStrategy, SequencerStrategy, UserRole
from sokovan.config import SokovanConfig
from sokovan.db import tables as t
from sokovan.db.migrate import head_revision
from support.factories import T0


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> SokovanConfig:
    return SokovanConfig(data_dir=tmp_path / "state", database_url=database_url)


async def _rows(engine: AsyncEngine, table: sa.Table) -> list[sa.Row[object]]:
    async with engine.connect() as conn:
        return list((await conn.execute(sa.select(table))).all())


async def test_first_run_creates_the_defaults_and_the_admin(
    db_engine: AsyncEngine, config: SokovanConfig
) -> None:
    report = await bootstrap(config, ManualClock(T0))

    assert not report.already_initialised
    assert report.revision_after == head_revision()
    assert [
        (p.name, p.total_resource_slots) for p in await _rows(db_engine, t.resource_policies)
    ] == [("default", ResourceSlot())]
    [domain] = await _rows(db_engine, t.domains)
    [group] = await _rows(db_engine, t.groups)
    [scaling_group] = await _rows(db_engine, t.scaling_groups)
    [user] = await _rows(db_engine, t.users)
    [keypair] = await _rows(db_engine, t.keypairs)
    assert (domain.name, domain.resource_policy) == ("default", "default")
    assert (group.name, group.domain_name) == ("default", "default")
    assert scaling_group.name == "default"
    assert scaling_group.scheduler is SequencerStrategy.FIFO
    assert scaling_group.agent_selection_strategy is AgentSelectionStrategy.CONCENTRATED
    assert (user.email, user.role, user.created_at) == (ADMIN_EMAIL, UserRole.SUPERADMIN, T0)
    assert (keypair.access_key, keypair.role) == (report.access_key, UserRole.SUPERADMIN)
    assert [(m.group_id, m.user_id) for m in await _rows(db_engine, t.group_members)] == [
        (group.id, user.id)
    ]
    credentials = read_credentials(report.credentials_file)
    assert credentials is not None
    assert credentials.api_url == API_URL
    assert verify_secret(credentials.secret_key, keypair.secret_key_hash)
    assert stat.S_IMODE(report.credentials_file.stat().st_mode) == 0o600


async def test_second_run_reuses_everything(db_engine: AsyncEngine, config: SokovanConfig) -> None:
    first = await bootstrap(config)
    before = {table.name: await _rows(db_engine, table) for table in t.metadata.sorted_tables}
    written = first.credentials_file.read_bytes()

    second = await bootstrap(config)

    assert second.already_initialised
    assert second.created == ()
    assert second.access_key == first.access_key
    assert second.revision_before == second.revision_after == head_revision()
    assert first.credentials_file.read_bytes() == written
    after = {table.name: await _rows(db_engine, table) for table in t.metadata.sorted_tables}
    assert after == before


async def test_a_lost_credentials_file_gets_a_new_keypair_for_the_same_admin(
    db_engine: AsyncEngine, config: SokovanConfig
) -> None:
    first = await bootstrap(config)
    first.credentials_file.unlink()

    second = await bootstrap(config)

    assert second.access_key != first.access_key
    assert second.created == (f"keypair {second.access_key}",)
    assert len(await _rows(db_engine, t.users)) == 1
    assert {k.access_key for k in await _rows(db_engine, t.keypairs)} == {
        first.access_key,
        second.access_key,
    }


async def test_a_reset_database_is_restored_from_the_credentials_file(
    db_engine: AsyncEngine, config: SokovanConfig, tmp_path: Path
) -> None:
    first = await bootstrap(config)
    saved = first.credentials_file.read_bytes()
    moved = SokovanConfig(
        data_dir=config.data_dir,
        database_url=config.database_url,
        credentials_file=tmp_path / "kept.json",
    )
    (tmp_path / "kept.json").write_bytes(saved)
    async with db_engine.begin() as conn:
        for table in reversed(t.metadata.sorted_tables):
            await conn.execute(table.delete())

    second = await bootstrap(moved)

    assert second.access_key == first.access_key
    assert "restored from" in second.created[-1]
    [keypair] = await _rows(db_engine, t.keypairs)
    credentials = json.loads(saved)
    assert verify_secret(credentials["secret_key"], keypair.secret_key_hash)


async def test_a_credentials_file_that_does_not_match_is_refused(
    db_engine: AsyncEngine, config: SokovanConfig
) -> None:
    first = await bootstrap(config)
    credentials = json.loads(first.credentials_file.read_text())
    credentials["secret_key"] = "not-the-secret"
    first.credentials_file.write_text(json.dumps(credentials))

    with pytest.raises(ConfigurationError, match="does not match the admin keypair"):
        await bootstrap(config)
    assert len(await _rows(db_engine, t.keypairs)) == 1
