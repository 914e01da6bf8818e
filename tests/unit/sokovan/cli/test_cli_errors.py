"""Failures become one red line on stderr and exit code 1, never a traceback."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from sokovan.cli import output
from sokovan.cli.main import app


def _assert_one_error_line(stderr: str, *fragments: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize(
    ("url", "fragments"),
    [
        ("postgresql://x:y@:notaport/db", ["malformed database URL", "postgresql://USER"]),
        ("nonsense://", ["unsupported database backend 'nonsense'", "use sqlite or postgresql"]),
        ("mysql://root:pw@localhost/db", ["unsupported database backend 'mysql'"]),
        ("sqlite://", ["a SQLite URL needs a file path"]),
        ("postgresql://somewhere", ["names no database"]),
    ],
)
def test_bad_database_urls_are_one_line(runner: CliRunner, url: str, fragments: list[str]) -> None:
    result = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 1
    assert result.stdout == ""
    _assert_one_error_line(result.stderr, *fragments)
    assert ":y@" not in result.stderr
    assert ":pw@" not in result.stderr


def test_invalid_environment_names_the_variable_to_fix(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOKOVAN_DATABASE_ECHO", "maybe")
    monkeypatch.setenv("SOKOVAN_MANAGER__SESSION_SCHEDULE_LOCK_LIFETIME", "-1")

    result = runner.invoke(app, ["config", "show"])

    assert result.exit_code == 1
    _assert_one_error_line(
        result.stderr,
        "invalid configuration",
        "SOKOVAN_DATABASE_ECHO: Input should be a valid boolean",
        "SOKOVAN_MANAGER__SESSION_SCHEDULE_LOCK_LIFETIME: Input should be greater than 0",
    )


def test_unusable_data_dir_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")

    result = runner.invoke(app, ["up", "--data-dir", str(blocker / "state")])

    assert result.exit_code == 1
    _assert_one_error_line(result.stderr, "cannot create the data directory", str(blocker))


def test_a_file_the_environment_refuses_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")

    url = f"sqlite:///{blocker / 'sub' / 'sokovan.db'}"
    result = runner.invoke(app, ["db", "upgrade", "--database-url", url])

    assert result.exit_code == 1
    _assert_one_error_line(result.stderr, f"cannot access {blocker}")


def test_error_lines_are_never_wrapped_and_never_read_as_markup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    message = "[bold]not markup[/bold] " + "x" * 300

    output.print_error(message)

    assert stream.getvalue() == f"error: {message}\n"
    assert Console(file=io.StringIO()).width < len(message)
