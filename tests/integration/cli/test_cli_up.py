"""`sokovan up --init-only` through the real entry point: first run, rerun, broken credentials.

The full `sokovan up` (manager and agents) is exercised by tests/e2e/up.
"""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

from sokovan.auth.secrets import verify_secret

RunSokovan = Callable[..., subprocess.CompletedProcess[str]]
OneErrorLine = Callable[..., str]


def _admin_hash(database: Path, access_key: str) -> str:
    with sqlite3.connect(database) as conn:
        row = conn.execute(
            "SELECT k.secret_key_hash FROM keypairs k JOIN users u ON u.id = k.user_id "
            "WHERE k.access_key = ? AND u.email = 'admin@sokovan.local' AND k.role = 'superadmin'",
            (access_key,),
        ).fetchone()
    assert row is not None
    return str(row[0])


def test_first_run_initialises_and_second_run_changes_nothing(
    sokovan: RunSokovan, tmp_path: Path
) -> None:
    data_dir = tmp_path / "state"
    credentials_file = data_dir / "credentials.json"

    first = sokovan("up", "--init-only", "--data-dir", str(data_dir))
    assert first.returncode == 0, first.stderr
    credentials = json.loads(credentials_file.read_text())
    written = credentials_file.read_bytes()
    second = sokovan("up", "--init-only", "--data-dir", str(data_dir))

    assert second.returncode == 0, second.stderr
    assert "sokovan initialised" in first.stdout
    assert "already initialised" not in first.stdout
    assert "already initialised" in second.stdout
    assert credentials["api_url"] == "http://127.0.0.1:8090"
    for output in (first.stdout, second.stdout):
        assert credentials["access_key"] in output
        assert credentials["secret_key"] not in output
        assert str(credentials_file) in output
    assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600
    assert credentials_file.read_bytes() == written
    stored_hash = _admin_hash(data_dir / "sokovan.db", credentials["access_key"])
    assert verify_secret(credentials["secret_key"], stored_hash)


def test_data_dir_from_the_environment(sokovan: RunSokovan, tmp_path: Path) -> None:
    result = sokovan("up", "--init-only", env={"SOKOVAN_DATA_DIR": str(tmp_path / "from-env")})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "from-env" / "credentials.json").is_file()
    assert (tmp_path / "from-env" / "sokovan.db").is_file()


def test_a_corrupt_credentials_file_is_one_line_with_the_way_out(
    sokovan: RunSokovan, one_error_line: OneErrorLine, tmp_path: Path
) -> None:
    data_dir = tmp_path / "state"
    assert sokovan("up", "--init-only", "--data-dir", str(data_dir)).returncode == 0
    (data_dir / "credentials.json").write_text("{not json")

    result = sokovan("up", "--init-only", "--data-dir", str(data_dir))

    one_error_line(result, "credentials file", "is not valid JSON", "move it away")
