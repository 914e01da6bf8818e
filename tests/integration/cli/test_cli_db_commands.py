"""`sokovan db upgrade` and `sokovan db current` through the real entry point."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from sokovan.db.migrate import head_revision

RunSokovan = Callable[..., subprocess.CompletedProcess[str]]
OneErrorLine = Callable[..., str]


def test_upgrade_migrates_sqlite_under_the_data_dir_by_default_then_is_a_no_op(
    sokovan: RunSokovan, tmp_path: Path
) -> None:
    data_dir = tmp_path / "state"
    database = data_dir / "sokovan.db"
    env = {"SOKOVAN_DATA_DIR": str(data_dir)}

    first = sokovan("db", "upgrade", env=env)
    second = sokovan("db", "upgrade", env=env)

    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"sqlite:///{database}: migrated (empty) → {head_revision()}"
    assert second.returncode == 0, second.stderr
    assert "already at revision" in second.stdout
    assert "nothing to do" in second.stdout
    with sqlite3.connect(database) as conn:
        versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    assert versions == [(head_revision(),)]


def test_current_reports_empty_then_head(sokovan: RunSokovan, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'explicit.db'}"

    before = sokovan("db", "current", "--database-url", url)
    sokovan("db", "upgrade", "--database-url", url)
    after = sokovan("db", "current", "--database-url", url)

    assert before.returncode == 0, before.stderr
    assert "(empty)" in before.stdout
    assert "run `sokovan db upgrade`" in before.stdout
    assert after.returncode == 0, after.stderr
    assert [line.split() for line in after.stdout.splitlines()[1:]] == [
        ["current", head_revision()],
        ["head", head_revision()],
    ]


def test_upgrade_and_current_on_postgresql(sokovan: RunSokovan, pg_url: str) -> None:
    upgraded = sokovan("db", "upgrade", "--database-url", pg_url)
    current = sokovan("db", "current", "--database-url", pg_url)

    assert upgraded.returncode == 0, upgraded.stderr
    assert f"already at revision {head_revision()}" in upgraded.stdout
    assert current.returncode == 0, current.stderr
    assert ["current", head_revision()] in [line.split() for line in current.stdout.splitlines()]


def test_failed_upgrade_is_one_line_and_changes_nothing(
    sokovan: RunSokovan, one_error_line: OneErrorLine, tmp_path: Path
) -> None:
    database = tmp_path / "blocked.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE kernels (note TEXT)")

    result = sokovan("db", "upgrade", "--database-url", f"sqlite:///{database}")

    one_error_line(result, "migration to head failed and was rolled back", "kernels")
    with sqlite3.connect(database) as conn:
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert tables == [("kernels",)]
