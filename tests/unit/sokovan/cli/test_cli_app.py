"""The command tree, help, version and `config show`, run in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sokovan import __version__
from sokovan.cli.main import app


def test_help_lists_every_command_with_a_one_line_help_and_an_example(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command, summary in [
        ("up", "Set up and run sokovan on this machine"),
        ("db", "Inspect and migrate the database schema."),
        ("config", "Show the effective configuration."),
    ]:
        assert any(
            line.strip(" │").startswith(command) and summary in line
            for line in result.stdout.splitlines()
        ), (command, result.stdout)
    assert "Example: sokovan up" in result.stdout


def test_no_arguments_prints_help_instead_of_failing_silently(runner: CliRunner) -> None:
    result = runner.invoke(app, [])
    assert "Usage:" in result.stdout
    assert "db" in result.stdout


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"sokovan {__version__}"


@pytest.mark.parametrize(
    "args", [["db", "upgrade", "--no-such-option"], ["no-such-command"], ["db", "frob"]]
)
def test_usage_errors_exit_with_two(runner: CliRunner, args: list[str]) -> None:
    assert runner.invoke(app, args).exit_code == 2


def test_config_show_json_resolves_defaults_under_the_data_dir(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SOKOVAN_DATA_DIR", str(tmp_path / "state"))
    result = runner.invoke(app, ["config", "show", "--json"])

    assert result.exit_code == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["data_dir"] == str(tmp_path / "state")
    assert values["database_url"] == f"sqlite:///{tmp_path / 'state' / 'sokovan.db'}"
    assert values["credentials_file"] == str(tmp_path / "state" / "credentials.json")
    assert values["database_echo"] is False
    assert values["manager"]["session_schedule_lock_lifetime"] == 30.0


def test_config_show_hides_the_database_password(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOKOVAN_DATABASE_URL", "postgresql://sokovan:hunter2@db.internal/sokovan")
    monkeypatch.setenv("COLUMNS", "200")

    as_json = runner.invoke(app, ["config", "show", "--json"])
    as_table = runner.invoke(app, ["config", "show"])

    assert (
        json.loads(as_json.stdout)["database_url"] == "postgresql://sokovan:***@db.internal/sokovan"
    )
    assert "hunter2" not in as_json.stdout + as_table.stdout
    assert "postgresql://sokovan:***@db.internal/sokovan" in as_table.stdout


def test_config_show_table_names_each_variable_and_its_source(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOKOVAN_DATABASE_ECHO", "true")
    monkeypatch.setenv("COLUMNS", "200")
    result = runner.invoke(app, ["config", "show"])

    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    assert "environment" in rows["SOKOVAN_DATABASE_ECHO"]
    assert "true" in rows["SOKOVAN_DATABASE_ECHO"]
    assert "default" in rows["SOKOVAN_DATA_DIR"]
    assert "30.0" in rows["SOKOVAN_MANAGER__SESSION_SCHEDULE_LOCK_LIFETIME"]
